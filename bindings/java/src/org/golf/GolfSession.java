// GolfSession.java: a session of a GolfModel: its KV cache and worker threads. generate() blocks and streams
// text to a listener on the calling thread, so an app runs it on a background thread; cancel() stops it from any
// thread (the UI's stop button); close() frees the session, cancelling and waiting for a running call.
package org.golf;

public final class GolfSession implements AutoCloseable {
  private final GolfModel model;
  private long handle;
  private final Object callLock = new Object();    // one call at a time
  private final Object handleLock = new Object();  // cancel() against close(); never held during a call

  GolfSession(GolfModel model, long handle) {
    this.model = model;
    this.handle = handle;
  }

  /**
   * Completes prompt, calling listener for each token as it is made (on this thread). Returns the number of
   * tokens generated. A context that fills up slides (see stats()). Throws GolfException with status CANCELLED
   * after cancel(); an exception thrown by the listener stops generation and propagates.
   */
  public int generate(String prompt, GenerateOptions options, TokenListener listener) throws GolfException {
    GolfNative.TokenSink sink = (token, utf8) -> listener.onToken(token, GolfNative.text(utf8));
    synchronized (callLock) {
      return GolfNative.generate(handle(), GolfNative.utf8(prompt), options.maxTokens, options.temperature,
          options.topK, options.topP, options.seed, options.stopAtEos, sink);
    }
  }

  /** What the last generation did: prompt tokens read and dropped, tokens made, context shifts, timings. */
  public GenerationStats stats() throws GolfException {
    synchronized (callLock) {
      return new GenerationStats(GolfNative.generationStats(handle()));
    }
  }

  /** Bits per byte of text as one document. */
  public double bitsPerByte(String text) throws GolfException {
    synchronized (callLock) {
      return GolfNative.bitsPerByte(handle(), GolfNative.utf8(text));
    }
  }

  /** Logits [tokens.length * vocabSize] of tokens read from an empty context (add BOS yourself). */
  public float[] logits(int[] tokens) throws GolfException {
    synchronized (callLock) {
      return GolfNative.logits(handle(), tokens, model.vocabSize());
    }
  }

  /** Positions the context holds. */
  public int contextLength() {
    return GolfNative.contextLength(handle());
  }

  /** Stops the call running on this session (from any thread); a request when nothing runs is forgotten. */
  public void cancel() {
    synchronized (handleLock) {
      if (handle != 0) GolfNative.cancel(handle);
    }
  }

  private long handle() {
    synchronized (handleLock) {
      if (handle == 0) throw new IllegalStateException("this GolfSession is closed");
      return handle;
    }
  }

  /** Frees the session: cancels a running call and waits for it. */
  @Override
  public void close() {
    cancel();
    synchronized (callLock) {
      synchronized (handleLock) {
        if (handle == 0) return;
        GolfNative.freeSession(handle);
        handle = 0;
      }
    }
    model.sessionClosed();
  }
}
