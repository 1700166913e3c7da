// GolfNative.java: the native methods of the JNI shim (bindings/java/jni/golf_jni.c), one per C API call the
// classes use. Handles are the C pointers as longs. Text crosses as UTF-8 byte arrays, decoded here in Java, so
// no character is mangled by JNI's modified UTF-8. Package-private: apps use GolfModel and GolfSession.
package org.golf;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

final class GolfNative {
  private GolfNative() {}

  static {
    // -Dgolf.jni.library=/path/libgolf_jni.so for a library outside java.library.path; on Android the APK's
    // lib/<abi>/libgolf_jni.so is found by name.
    String path = System.getProperty("golf.jni.library");
    if (path != null) {
      System.load(path);
    } else {
      System.loadLibrary("golf_jni");
    }
  }

  /** Receives tokens from the native generation loop (GolfSession wraps the app's TokenListener). */
  interface TokenSink {
    boolean onToken(int token, byte[] utf8);
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String text(byte[] utf8) {
    return new String(utf8, StandardCharsets.UTF_8);
  }

  static native int apiVersion();

  static native long loadBytes(byte[] data) throws GolfException;

  static native long loadBuffer(ByteBuffer direct, long size) throws GolfException;

  static native long loadFile(String path) throws GolfException;

  static native void freeModel(long model);

  // vocab_size, model_dim, num_layers, num_heads, num_kv_heads, mlp_hidden, max_seq_len, bos_id, eos_id
  static native int[] modelInfo(long model) throws GolfException;

  static native int[] tokenize(long model, byte[] utf8, boolean bos) throws GolfException;

  static native byte[] detokenize(long model, int[] tokens) throws GolfException;

  static native byte[] piece(long model, int token) throws GolfException;

  static native long newSession(long model, int threads, int context) throws GolfException;

  static native void freeSession(long session);

  static native void cancel(long session);

  static native int contextLength(long session);

  static native int generate(long session, byte[] prompt, int maxTokens, float temperature, int topK, float topP,
                             long seed, boolean stopAtEos, TokenSink sink) throws GolfException;

  // prompt_tokens, prompt_dropped, generated, context_shifts, prompt_seconds, generate_seconds, stop
  static native double[] generationStats(long session) throws GolfException;

  static native double bitsPerByte(long session, byte[] utf8) throws GolfException;

  static native float[] logits(long session, int[] tokens, int vocab) throws GolfException;
}
