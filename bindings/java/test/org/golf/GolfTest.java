// GolfTest.java: GolfModel and GolfSession end to end on a real .golf model through the JNI shim, as an Android
// app would use them: loading from a byte[], a mapped direct ByteBuffer and a path; the tokenizer; streamed greedy
// text equal to golf-complete's; a listener that stops or throws; cancel() and close() from another thread during
// generation; the sliding context; bits per byte against logits; and the errors. Plain main (no JUnit download).
// Usage: java -cp golf.jar:golf-test.jar org.golf.GolfTest MODEL.golf GOLF_COMPLETE
package org.golf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

public final class GolfTest {
  private static int failures = 0;
  private static final String PROMPT = "The court held that";
  private static final String TEXT = "The court held that the statute applies. Café au lait — 東京, 2024!";

  private static void check(boolean ok, String what) {
    System.out.println((ok ? "ok   " : "FAIL ") + what);
    if (!ok) failures++;
  }

  private interface Body {
    void run() throws Exception;
  }

  private static int statusOf(Body body) {
    try {
      body.run();
      return 0;
    } catch (GolfException e) {
      return e.status();
    } catch (Exception e) {
      return -1;
    }
  }

  private static boolean throwsIllegalState(Body body) {
    try {
      body.run();
      return false;
    } catch (IllegalStateException e) {
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  /** Options for a generation that runs until stopped. */
  private static GenerateOptions forever() {
    GenerateOptions o = new GenerateOptions();
    o.maxTokens = 1_000_000;
    o.stopAtEos = false;
    return o;
  }

  private static String complete(GolfSession s, String prompt, GenerateOptions o) throws GolfException {
    StringBuilder out = new StringBuilder();
    s.generate(prompt, o, (token, text) -> {
      out.append(text);
      return true;
    });
    return out.toString();
  }

  private static String golfComplete(String exe, String model, int n) throws Exception {
    Process p = new ProcessBuilder(exe, "-m", model, "--greedy", "--no-stop", "-n", Integer.toString(n),
        "--threads", "2", PROMPT).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    p.getInputStream().transferTo(out);
    check(p.waitFor() == 0, "golf-complete runs");
    return out.toString(StandardCharsets.UTF_8);
  }

  public static void main(String[] args) throws Exception {
    String path = args[0];
    byte[] bytes = Files.readAllBytes(Paths.get(path));
    check(GolfModel.apiVersion() / 1000 == 1, "libgolf API 1.x: " + GolfModel.apiVersion());

    try (GolfModel model = GolfModel.load(bytes);
         FileChannel ch = FileChannel.open(Paths.get(path), StandardOpenOption.READ);
         GolfModel mapped = GolfModel.load(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()));
         GolfModel fromFile = GolfModel.loadFile(path)) {
      check(model.vocabSize() == 1024 && model.bosId() == 1 && model.maxSeqLen() > 0, "model info");
      int[] ids = model.tokenize(TEXT, false);
      check(Arrays.equals(ids, mapped.tokenize(TEXT, false)) && Arrays.equals(ids, fromFile.tokenize(TEXT, false)),
          "byte[], mapped ByteBuffer and path load the same model");
      check(model.detokenize(ids).equals(TEXT), "tokenize / detokenize round trip, non-ASCII included");
      int[] withBos = model.tokenize(TEXT, true);
      check(withBos.length == ids.length + 1 && withBos[0] == model.bosId(), "BOS first when asked");
      check(model.piece(model.bosId()).equals("<s>"), "piece of BOS");

      try (GolfSession s = model.newSession(2, 0)) {
        GenerateOptions o = GenerateOptions.greedy(16);
        o.stopAtEos = false;
        String greedy = complete(s, PROMPT, o);
        GenerationStats st = s.stats();
        check(st.generated == 16 && st.stopReason == 1 && st.promptTokens == model.tokenize(PROMPT, false).length,
            "16 tokens generated; stats say why it stopped");
        String expected = golfComplete(args[1], path, 16);
        check(expected.equals(PROMPT + greedy + "\n"), "greedy text equals golf-complete's: " + greedy);

        GenerateOptions sampled = new GenerateOptions();
        sampled.seed = 7;
        sampled.stopAtEos = false;
        sampled.maxTokens = 20;
        check(complete(s, PROMPT, sampled).equals(complete(s, PROMPT, sampled)), "a seed reproduces its text");

        int[] count = {0};
        o.maxTokens = 100;
        int made = s.generate(PROMPT, o, (token, text) -> ++count[0] < 3);
        check(made == 3 && s.stats().stopReason == 3, "a listener returning false stops at 3 tokens: " + made);
        check(statusOf(() -> s.generate(PROMPT, o, (token, text) -> {
          throw new IllegalArgumentException("from the listener");
        })) == -1, "a listener's exception propagates");

        float[] logits = s.logits(withBos);
        int V = model.vocabSize();
        double nats = 0;
        for (int i = 0; i < ids.length; i++) {
          double max = Double.NEGATIVE_INFINITY, sum = 0;
          for (int v = 0; v < V; v++) max = Math.max(max, logits[i * V + v]);
          for (int v = 0; v < V; v++) sum += Math.exp(logits[i * V + v] - max);
          nats += Math.log(sum) + max - logits[i * V + ids[i]];
        }
        double expectedBpb = nats / Math.log(2) / TEXT.getBytes(StandardCharsets.UTF_8).length;
        double bpb = s.bitsPerByte(TEXT);
        check(logits.length == withBos.length * V && Math.abs(bpb - expectedBpb) < 1e-4 * expectedBpb,
            "bits per byte " + bpb + " agrees with the logits' " + expectedBpb);

        check(statusOf(() -> model.detokenize(new int[] {5, 99999})) == GolfException.INVALID_ARGUMENT,
            "a bad token id is a GolfException");
        check(throwsIllegalState(model::close), "a model with an open session refuses to close");
      }

      try (GolfSession small = model.newSession(1, 16)) {
        GenerateOptions o = GenerateOptions.greedy(40);
        o.stopAtEos = false;
        String text = complete(small, PROMPT, o);
        GenerationStats st = small.stats();
        check(st.generated == 40 && st.contextShifts > 0 && !text.isEmpty(),
            "a 16-token context slides: 40 tokens, " + st.contextShifts + " shifts");
      }

      // cancel() from another thread: the listener's first call waits until the main thread has cancelled.
      try (GolfSession s = model.newSession(1, 32)) {
        CountDownLatch started = new CountDownLatch(1), cancelled = new CountDownLatch(1);
        AtomicReference<Integer> status = new AtomicReference<>();
        Thread t = new Thread(() -> status.set(statusOf(() -> s.generate(PROMPT, forever(), (token, text) -> {
          started.countDown();
          try {
            cancelled.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            return false;
          }
          return true;
        }))));
        t.start();
        check(started.await(60, TimeUnit.SECONDS), "generation started on a background thread");
        s.cancel();
        cancelled.countDown();
        t.join(60_000);
        check(!t.isAlive() && Integer.valueOf(GolfException.CANCELLED).equals(status.get()) &&
            s.stats().generated == 1 && s.stats().stopReason == 4, "cancel() from another thread stops it");
      }

      // close() from another thread while generation runs: it cancels and waits.
      GolfSession s = model.newSession(1, 32);
      CountDownLatch running = new CountDownLatch(1);
      AtomicReference<Integer> status = new AtomicReference<>();
      Thread t = new Thread(() -> status.set(statusOf(() -> s.generate(PROMPT, forever(), (token, text) -> {
        running.countDown();
        return true;
      }))));
      t.start();
      running.await(60, TimeUnit.SECONDS);
      s.close();
      t.join(60_000);
      check(!t.isAlive() && Integer.valueOf(GolfException.CANCELLED).equals(status.get()),
          "close() during generation cancels it and waits");
      check(throwsIllegalState(() -> s.bitsPerByte("x")), "a closed session refuses calls");

      byte[] damaged = bytes.clone();
      damaged[damaged.length - 10] ^= 0x55;
      check(statusOf(() -> GolfModel.load(damaged)) == GolfException.CHECKSUM, "a damaged model is refused");
      check(statusOf(() -> GolfModel.loadFile("/nonexistent/model.golf")) == GolfException.IO, "a missing file");
    }
    if (failures > 0) {
      System.out.println(failures + " checks failed");
      System.exit(1);
    }
    System.out.println("java: all checks passed");
  }
}
