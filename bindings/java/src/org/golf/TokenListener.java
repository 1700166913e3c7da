// TokenListener.java: receives generated text as it streams, on the thread that called GolfSession.generate.
package org.golf;

public interface TokenListener {
  /**
   * One generated token and the text it completes (whole characters; may be empty while a character is
   * incomplete). At the end, token -1 with any text still pending. Return false to stop generating.
   */
  boolean onToken(int token, String text);
}
