package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.console.ConsoleLogFilter;
import hudson.console.LineTransformationOutputStream;
import hudson.model.Run;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.charset.Charset;

/**
 * Masks token-shaped credentials ({@link TokenMasker}) in the log of a {@code taskbound} block,
 * before any of the block's commands runs: the step merges it into the body's context, as
 * credentials-binding does, so durable-task's copy of each script's output passes through it.
 * Serializable because it lives in the Pipeline program state.
 */
final class MaskingConsoleLogFilter extends ConsoleLogFilter implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String charset;

  MaskingConsoleLogFilter(@NonNull Charset charset) {
    this.charset = charset.name();
  }

  @Override
  @SuppressWarnings("rawtypes") // the signature ConsoleLogFilter declares
  public OutputStream decorateLogger(Run build, OutputStream logger) {
    return new Masking(logger, Charset.forName(charset));
  }

  /** Passes each line on, masked. */
  private static final class Masking extends LineTransformationOutputStream.Delegating {
    private final Charset charset;

    Masking(OutputStream out, Charset charset) {
      super(out);
      this.charset = charset;
    }

    @Override
    protected void eol(byte[] b, int len) throws IOException {
      String line = new String(b, 0, len, charset);
      if (TokenMasker.mightHoldToken(line)) {
        String masked = TokenMasker.mask(line);
        if (!masked.equals(line)) {
          out.write(masked.getBytes(charset));
          return;
        }
      }
      out.write(b, 0, len);
    }
  }
}
