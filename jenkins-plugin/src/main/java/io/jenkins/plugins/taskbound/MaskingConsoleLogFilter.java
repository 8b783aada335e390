package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import hudson.console.ConsoleLogFilter;
import hudson.console.LineTransformationOutputStream;
import hudson.model.Run;
import hudson.util.Secret;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.charset.Charset;
import java.util.ArrayList;
import java.util.List;

/**
 * Masks the values the controller issued for the block, and token-shaped credentials ({@link
 * TokenMasker}), in the log of a {@code taskbound} block,
 * before any of the block's commands runs: the step merges it into the body's context, as
 * credentials-binding does, so durable-task's copy of each script's output passes through it.
 * Serializable because it lives in the Pipeline program state.
 */
final class MaskingConsoleLogFilter extends ConsoleLogFilter implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String charset;
  /**
   * The values the controller issued for the block, kept encrypted in the program state as
   * credentials-binding keeps its own; null in filters serialized before this field existed.
   */
  @CheckForNull private final ArrayList<Secret> values;

  MaskingConsoleLogFilter(@NonNull Charset charset) {
    this(charset, List.of());
  }

  MaskingConsoleLogFilter(@NonNull Charset charset, @NonNull List<String> issued) {
    this.charset = charset.name();
    this.values = new ArrayList<>(issued.stream().map(Secret::fromString).toList());
  }

  @Override
  @SuppressWarnings("rawtypes") // the signature ConsoleLogFilter declares
  public OutputStream decorateLogger(Run build, OutputStream logger) {
    List<String> plain = values == null ? List.of() : values.stream().map(Secret::getPlainText).toList();
    return masking(logger, Charset.forName(charset), () -> plain);
  }

  /**
   * {@code logger} with each line masked: the values {@code issued} gives at that line (a freestyle
   * build learns them only once its wrapper has set up, after its log was decorated) and token shapes.
   */
  static OutputStream masking(@NonNull OutputStream logger, @NonNull Charset charset,
      @NonNull java.util.function.Supplier<List<String>> issued) {
    return new Masking(logger, charset, issued);
  }

  /** Passes each line on, masked. */
  private static final class Masking extends LineTransformationOutputStream.Delegating {
    private final Charset charset;
    private final java.util.function.Supplier<List<String>> values;

    Masking(OutputStream out, Charset charset, java.util.function.Supplier<List<String>> values) {
      super(out);
      this.charset = charset;
      this.values = values;
    }

    @Override
    protected void eol(byte[] b, int len) throws IOException {
      String line = new String(b, 0, len, charset);
      List<String> issued = values.get();
      if (!issued.isEmpty() || TokenMasker.mightHoldToken(line)) {
        String masked = TokenMasker.mask(line, issued);
        if (!masked.equals(line)) {
          out.write(masked.getBytes(charset));
          return;
        }
      }
      out.write(b, 0, len);
    }
  }
}
