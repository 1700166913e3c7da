"""spm_model_edits.py: small protobuf writer/reader for SentencePiece .model files, used by
check_tokenizer_parity.py to make model variants (other normalizer/trainer flags, user-defined and unused pieces)
and models SentencePiece must refuse. Edits are appended fields: protobuf merges repeated message fields and lets
a later scalar win, so SentencePiece and our parser see the same modified model."""
import struct


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def field_bytes(number, payload):
    return varint((number << 3) | 2) + varint(len(payload)) + payload


def read_varint(data, i):
    value, shift = 0, 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def top_level_fields(data):
    """(number, wire_type, raw field bytes, payload-or-None) for each field of a message."""
    i, out = 0, []
    while i < len(data):
        start = i
        key, i = read_varint(data, i)
        number, wire = key >> 3, key & 7
        payload = None
        if wire == 0:
            _, i = read_varint(data, i)
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        elif wire == 2:
            n, i = read_varint(data, i)
            payload = data[i:i + n]
            i += n
        else:
            raise ValueError("unexpected wire type %d" % wire)
        out.append((number, wire, data[start:i], payload))
    return out


def normalizer_flags(model):
    """NormalizerSpec's add_dummy_prefix and remove_extra_whitespaces (default true; later fields win)."""
    flags = {"add_dummy_prefix": True, "remove_extra_whitespaces": True}
    for number, _, _, payload in top_level_fields(model):
        if number != 3:
            continue
        i = 0
        while i < len(payload):
            key, i = read_varint(payload, i)
            if key & 7 == 0:
                value, i = read_varint(payload, i)
                if key >> 3 == 3:
                    flags["add_dummy_prefix"] = bool(value)
                elif key >> 3 == 4:
                    flags["remove_extra_whitespaces"] = bool(value)
            elif key & 7 == 2:
                n, i = read_varint(payload, i)
                i += n
            elif key & 7 == 5:
                i += 4
            elif key & 7 == 1:
                i += 8
    return flags


def with_piece_types(model, new_types):
    """The model with piece i's type set to new_types[i] (an appended type field overrides the old one)."""
    out, index = bytearray(), 0
    for number, _, raw, payload in top_level_fields(model):
        if number == 1:
            if index in new_types:
                raw = field_bytes(1, payload + field_varint(3, new_types[index]))
            index += 1
        out += raw
    return bytes(out)


def add_pieces(model, pieces):
    """Appends pieces (text, score, type) after the last one."""
    out = bytearray(model)
    for text, score, ptype in pieces:
        body = field_bytes(1, text.encode("utf-8")) + varint((2 << 3) | 5) + struct.pack("<f", score)
        out += field_bytes(1, body + field_varint(3, ptype))
    return bytes(out)


def normalizer(**fields):
    numbers = {"add_dummy_prefix": 3, "remove_extra_whitespaces": 4, "escape_whitespaces": 5}
    body = b""
    for name, value in fields.items():
        if name == "precompiled_charsmap":
            body += field_bytes(2, value)
        elif name == "name":
            body += field_bytes(1, value.encode())
        else:
            body += field_varint(numbers[name], int(value))
    return field_bytes(3, body)


def trainer(**fields):
    numbers = {"treat_whitespace_as_suffix": 24, "byte_fallback": 35}
    body = b"".join(field_varint(numbers[k], int(v)) for k, v in fields.items())
    return field_bytes(2, body)


def variants(model_bytes, sp):
    """(name, model bytes) of flag variants, user-defined and unused pieces."""
    size = sp.get_piece_size()
    normal = [i for i in range(size) if not (sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i))]
    frequent = normal[40:60] + normal[200:210]
    return [
        ("add_dummy_prefix", model_bytes + normalizer(add_dummy_prefix=1)),
        ("keep_extra_whitespaces", model_bytes + normalizer(remove_extra_whitespaces=0)),
        ("dummy_prefix+keep_ws", model_bytes + normalizer(add_dummy_prefix=1, remove_extra_whitespaces=0)),
        ("no_escape_whitespaces", model_bytes + normalizer(escape_whitespaces=0)),
        ("identity_normalizer", model_bytes + normalizer(name="identity", precompiled_charsmap=b"")),
        ("whitespace_as_suffix", model_bytes + trainer(treat_whitespace_as_suffix=1) + normalizer(add_dummy_prefix=1)),
        ("user_defined", add_pieces(model_bytes, [("<mask>", 0.0, 4), ("@@", 0.0, 4), ("x\u2581y", 0.0, 4),
                                                  ("ing the", 0.0, 4)])),
        ("unused_pieces", with_piece_types(model_bytes, {i: 5 for i in frequent})),
    ]


def broken_variants(model_bytes, sp):
    """Models SentencePiece refuses to load; golf-tokenize must refuse them too."""
    size = sp.get_piece_size()
    unk = sp.unk_id()
    normal = next(i for i in range(size) if not (sp.is_control(i) or sp.is_unknown(i) or sp.is_byte(i)))
    out = [
        ("no_unknown_piece", with_piece_types(model_bytes, {unk: 1})),
        ("two_unknown_pieces", with_piece_types(model_bytes, {normal: 2})),
        ("duplicate_piece", add_pieces(model_bytes, [(sp.id_to_piece(normal), 0.0, 1)])),
        ("broken_charsmap", model_bytes + normalizer(precompiled_charsmap=b"\xff\xff\x00\x00abc")),
        ("truncated", model_bytes[: len(model_bytes) // 2]),
    ]
    if any(sp.is_byte(i) for i in range(size)):
        out.append(("bytes_without_fallback", model_bytes + trainer(byte_fallback=0)))
    else:
        out.append(("fallback_without_bytes", model_bytes + trainer(byte_fallback=1)))
    return out
