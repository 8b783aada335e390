package dev.taskbound.core.cli;

import dev.taskbound.core.broker.SecretMasker;
import java.io.PrintWriter;
import java.io.Writer;
import java.util.Objects;

/**
 * A writer that masks secrets line by line before passing text on, for Taskbound's own messages
 * once a session has issued credentials. Not thread-safe beyond what {@link PrintWriter} adds.
 */
final class MaskingWriter extends Writer {
  private final Writer out;
  private final SecretMasker masker;
  private final StringBuilder line = new StringBuilder();

  private MaskingWriter(Writer out, SecretMasker masker) {
    this.out = Objects.requireNonNull(out, "out");
    this.masker = Objects.requireNonNull(masker, "masker");
  }

  /** A print writer over {@code out} that masks with {@code masker}. */
  static PrintWriter wrap(Writer out, SecretMasker masker) {
    return new PrintWriter(new MaskingWriter(out, masker), true);
  }

  @Override
  public void write(char[] cbuf, int off, int len) {
    for (int i = off; i < off + len; i++) {
      line.append(cbuf[i]);
      if (cbuf[i] == '\n') {
        emit();
      }
    }
  }

  private void emit() {
    if (line.length() > 0) {
      try {
        out.write(masker.mask(line.toString()));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      line.setLength(0);
    }
  }

  @Override
  public void flush() throws java.io.IOException {
    emit();
    out.flush();
  }

  @Override
  public void close() throws java.io.IOException {
    flush();
  }
}
