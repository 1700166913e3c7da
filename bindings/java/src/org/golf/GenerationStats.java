// GenerationStats.java: what the last generation of a session did (golf_generation_stats).
package org.golf;

public final class GenerationStats {
  public final int promptTokens;     // the prompt's tokens, BOS not counted
  public final int promptDropped;    // of them, from the start, those the context could not hold
  public final int generated;        // tokens generated
  public final int contextShifts;    // times the context filled up and slid
  public final double promptSeconds;
  public final double generateSeconds;
  public final int stopReason;       // golf_stop_reason: 1 max tokens, 2 end of text, 3 listener, 4 cancelled

  GenerationStats(double[] v) {
    promptTokens = (int) v[0];
    promptDropped = (int) v[1];
    generated = (int) v[2];
    contextShifts = (int) v[3];
    promptSeconds = v[4];
    generateSeconds = v[5];
    stopReason = (int) v[6];
  }
}
