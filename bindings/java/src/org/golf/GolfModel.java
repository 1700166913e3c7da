// GolfModel.java: a .golf model loaded into memory, immutable and shared by its sessions (GolfSession). Load it
// from an asset's bytes, a direct ByteBuffer (zero copy: e.g. a memory-mapped file) or a path; close() frees it
// once its sessions are closed.
package org.golf;

import java.nio.ByteBuffer;

public final class GolfModel implements AutoCloseable {
  private long handle;
  private int openSessions;
  private final ByteBuffer buffer;  // the bytes a zero-copy model reads: kept reachable while it lives
  private final int[] info;

  private GolfModel(long handle, ByteBuffer buffer) throws GolfException {
    this.handle = handle;
    this.buffer = buffer;
    int[] i;
    try {
      i = GolfNative.modelInfo(handle);
    } catch (GolfException e) {
      GolfNative.freeModel(handle);
      throw e;
    }
    this.info = i;
  }

  /** Loads a model from its file's bytes (an Android asset read into a byte[]); the bytes are copied. */
  public static GolfModel load(byte[] data) throws GolfException {
    return new GolfModel(GolfNative.loadBytes(data), null);
  }

  /**
   * Loads a model from a direct ByteBuffer without copying (e.g. FileChannel.map of an uncompressed asset); the
   * buffer must not change while the model lives. A heap buffer is copied.
   */
  public static GolfModel load(ByteBuffer data) throws GolfException {
    if (!data.isDirect()) {
      byte[] copy = new byte[data.remaining()];
      data.duplicate().get(copy);
      return load(copy);
    }
    ByteBuffer view = data.slice();
    return new GolfModel(GolfNative.loadBuffer(view, view.remaining()), view);
  }

  /** Loads (memory-maps) a model file. */
  public static GolfModel loadFile(String path) throws GolfException {
    return new GolfModel(GolfNative.loadFile(path), null);
  }

  /** libgolf's GOLF_API_VERSION (major * 1000 + minor). */
  public static int apiVersion() {
    return GolfNative.apiVersion();
  }

  public int vocabSize() { return info[0]; }
  public int modelDim() { return info[1]; }
  public int numLayers() { return info[2]; }
  public int maxSeqLen() { return info[6]; }
  public int bosId() { return info[7]; }
  public int eosId() { return info[8]; }

  /** Token ids of text, BOS first when bos. */
  public int[] tokenize(String text, boolean bos) throws GolfException {
    return GolfNative.tokenize(handle(), GolfNative.utf8(text), bos);
  }

  /** The text of token ids. */
  public String detokenize(int[] tokens) throws GolfException {
    return GolfNative.text(GolfNative.detokenize(handle(), tokens));
  }

  /** The vocabulary entry of a token as stored ("▁the", "<0x41>", "<s>"). */
  public String piece(int token) throws GolfException {
    return GolfNative.text(GolfNative.piece(handle(), token));
  }

  /** A session with all cores and the model's context. */
  public GolfSession newSession() throws GolfException {
    return newSession(0, 0);
  }

  /** A session: threads 0 = all cores; context 0 = the model's max_seq_len. One thread uses it at a time. */
  public synchronized GolfSession newSession(int threads, int context) throws GolfException {
    long session = GolfNative.newSession(handle(), threads, context);
    openSessions++;
    return new GolfSession(this, session);
  }

  synchronized void sessionClosed() {
    openSessions--;
  }

  synchronized long handle() {
    if (handle == 0) throw new IllegalStateException("this GolfModel is closed");
    return handle;
  }

  /** Frees the model. Its sessions must be closed first (IllegalStateException otherwise). */
  @Override
  public synchronized void close() {
    if (handle == 0) return;
    if (openSessions > 0) {
      throw new IllegalStateException("close the model's " + openSessions + " open session(s) first");
    }
    GolfNative.freeModel(handle);
    handle = 0;
  }
}
