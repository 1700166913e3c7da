// GolfException.java: a libgolf call failed; carries the library's golf_status code and message.
package org.golf;

public class GolfException extends Exception {
  // golf_status values (runtime/include/golf.h).
  public static final int IO = 1, BAD_FORMAT = 2, CHECKSUM = 3, UNSUPPORTED = 4, INVALID_ARGUMENT = 5,
      OUT_OF_MEMORY = 6, BUFFER_TOO_SMALL = 7, CONTEXT_FULL = 8, CANCELLED = 9;

  private final int status;

  public GolfException(int status, String message) {
    super(message);
    this.status = status;
  }

  /** The golf_status code, e.g. {@link #CANCELLED}. */
  public int status() {
    return status;
  }
}
