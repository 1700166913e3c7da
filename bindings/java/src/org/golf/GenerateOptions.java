// GenerateOptions.java: sampling and length of a generation (golf_sampling_params), with libgolf's defaults.
package org.golf;

public final class GenerateOptions {
  public int maxTokens = 128;
  public float temperature = 0.8f;  // 0: greedy
  public int topK = 40;             // 0: off
  public float topP = 0.95f;        // 1: off
  public long seed = 1;             // the same seed, model and prompt give the same text
  public boolean stopAtEos = true;  // stop at the end of a document

  public static GenerateOptions greedy(int maxTokens) {
    GenerateOptions o = new GenerateOptions();
    o.temperature = 0;
    o.maxTokens = maxTokens;
    return o;
  }
}
