"""parity_inputs.py: the documents check_tokenizer_parity.py feeds to both tokenizers, all as bytes: hand-written
nasty strings (whitespace, Unicode normalization, invalid UTF-8, NUL, length), seeded random strings, and real text
(FineWeb validation documents, paragraphs of Gutenberg and tiny-shakespeare)."""
import json
import random


def nasty_strings():
    """Edge cases of whitespace, Unicode normalization, invalid UTF-8 and length, as bytes."""
    texts = [
        "", " ", "   ", "  leading", "trailing  ", "multiple   spaces   inside", " a ", "a  b",
        "\t", "tab\there", "\t\tlead tabs", "new\nline", "\n", "\n\n", "\r\n", "crlf\r\nline\r\n", "\r",
        "\u00a0nbsp\u00a0here\u00a0", "\u3000ideographic\u3000space", "\u2002en\u2003em\u2009thin",
        "\u200bzero\u200bwidth", "\ufeffbom", "soft\u00adhyphen", "line\u2028sep\u2029para",
        "ＡＢＣ ｘｙｚ １２３ ＠！", "ﬁ ﬂ ﬀ ﬃ ﬄ", "½ ¼ ¾ x² H₂O", "Ⅻ ① ② ℌ ㎏ ™ …", "ǅ ǆ Ǆ",
        "e\u0301 a\u0308 n\u0303 A\u030a o\u0302\u0323", "café naïve résumé", "é", "É", "è ê ë",
        "\u1100\u1161 \uac00", "한국어 텍스트", "中文字符 日本語のテキスト カタカナ ｶﾀｶﾅ",
        "😀 👍🏽 👨\u200d👩\u200d👧 🇫🇷", "∑∫√∞≠≤ ← → ⇒", "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "สวัสดี",
        "Привет, мир!", "Γειά σου", "\u2581", "\u2581\u2581", "a\u2581b", " \u2581 ",
        "<s> </s> <unk> <pad> <0x41> <mask>", "\x01\x02\x03", "\x1b[31mred\x1b[0m", "\x7f", "a\x0bb\x0cc",
        "1234567890" * 30, "3.14159 2,718 1e-9 0x1F 100%", "a" * 10000, "abc" * 3000, "xy " * 3000,
        " " * 1000 + "x", "hello" + " " * 500, "The quick brown fox jumps over the lazy dog.",
        "Don't stop-believing; it's 5 o'clock (UTC+1)!", "https://example.com/path?q=1&r=2#frag",
        "def f(x):\n    return x ** 2  # comment\n", '{"key": [1, 2, 3], "null": null}',
        "ALL CAPS SENTENCE", "mIxEd CaSe", "'quoted' \"double\" «guillemets» „low“", "em—dash en–dash",
    ]
    out = [t.encode("utf-8") for t in texts]
    out += [
        b"\xff", b"\xfe\xff", b"\x80abc", b"abc\xc3", b"\xc3\x28", b"\xe2\x82", b"\xe2\x82 x", b"\xed\xa0\x80",
        b"\xed\xbf\xbf", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf",
        b"\xf0\x9f\x98", b"\xf0\x9f\x98 end", b"\xf8\x88\x80\x80\x80", b"\xef\xbf\xbd", b"a\xef\xbf\xbdb",
        b"a\x00b", b"\x00", b"\x00\x00 \x00", b"caf\xc3", b"\xa9 \xe9t\xe9", b"ok \xe2\x96 broken space",
        b"\xe2\x96\x81\xe2\x96", b" \xff ", b"\xff" * 50,
    ]
    return out


def random_strings(seed, count):
    """Seeded random documents: mixes of ASCII, spaces, multi-byte characters, combining marks and bad bytes."""
    rng = random.Random(seed)
    pool = list("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 .,;:'\"!?-()\n\t") + [
        "é", "ß", "æ", "ø", "ñ", "ü", "\u0301", "\u0308", "\u00a0", "\u3000", "ﬁ", "Ａ", "１", "中", "語", "😀",
        "\u200b", "\u2581", "€", "™", "½", "\x00", "\r", "  ", "the ", " and ", "tion", "ing ",
    ]
    bad = [b"\xff", b"\x80", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf0\x9f"]
    out = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randrange(0, 60)):
            if rng.random() < 0.05:
                parts.append(rng.choice(bad))
            else:
                parts.append(rng.choice(pool).encode("utf-8"))
        out.append(b"".join(parts))
    return out


def paragraphs(path, limit_bytes):
    """The first ~limit_bytes of a text file, cut at blank lines; newlines inside a paragraph are kept."""
    with open(path, "rb") as f:
        data = f.read(limit_bytes)
    cut = data.rfind(b"\n")
    if cut > 0:
        data = data[:cut]
    docs = [p for p in data.replace(b"\r\n", b"\n").split(b"\n\n") if p.strip()]
    return docs


def fineweb_docs(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["text"].encode("utf-8") for line in f if line.strip()]
