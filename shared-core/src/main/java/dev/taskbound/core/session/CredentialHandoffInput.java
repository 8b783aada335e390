package dev.taskbound.core.session;

import dev.taskbound.core.broker.BrokerException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A credential hand-off ({@code taskbound credentials issue}) read from a stream, the host's
 * standard input ({@code --credentials-handoff -}), so that it never exists as a file on the host
 * that opens the session: a CI controller pipes it into {@code session start} on its agent. It is
 * checked when read (the same checks and messages as a hand-off file's content) and held in memory
 * only; {@link #toString} names no value. Immutable; safe to share between threads.
 */
public final class CredentialHandoffInput {
  /** How messages name where the hand-off came from. */
  public static final String SOURCE = "from standard input";

  private final byte[] bytes;

  private CredentialHandoffInput(byte[] bytes) {
    this.bytes = bytes;
  }

  /**
   * Reads {@code in} to its end (at most 1 MiB) and checks that it is a hand-off; does not close
   * {@code in}.
   *
   * @throws BrokerException (exit 122) if the stream is empty, larger than 1 MiB, cannot be read or
   *     is not a hand-off; the message never quotes a value
   */
  public static CredentialHandoffInput read(InputStream in) {
    byte[] bytes;
    try {
      bytes = in.readNBytes(CredentialHandoff.MAX_BYTES + 1);
    } catch (IOException e) {
      throw CredentialHandoff.failure(SOURCE, "cannot read it (" + e.getClass().getSimpleName() + ")");
    }
    if (bytes.length == 0) {
      throw CredentialHandoff.failure(SOURCE, "it is empty; accepted: the hand-off 'taskbound credentials issue'"
          + " wrote, piped in (--credentials-handoff - < FILE)");
    }
    if (bytes.length > CredentialHandoff.MAX_BYTES) {
      throw CredentialHandoff.failure(SOURCE, "it is larger than " + CredentialHandoff.MAX_BYTES + " bytes");
    }
    CredentialHandoff.parse(SOURCE, bytes); // refused here, before anything starts
    return new CredentialHandoffInput(bytes);
  }

  /** The hand-off, parsed again (each session open gets its own). */
  CredentialHandoff handoff() {
    return CredentialHandoff.parse(SOURCE, bytes);
  }

  /**
   * Writes the hand-off's bytes to {@code out} and closes it: how {@code session start} passes it on
   * to its supervisor's standard input, again never through a file.
   *
   * @throws IOException if {@code out} fails
   */
  public void writeTo(OutputStream out) throws IOException {
    try (OutputStream o = out) {
      o.write(bytes);
    }
  }

  /** Names the source and size, never a value. */
  @Override
  public String toString() {
    return "CredentialHandoffInput[" + SOURCE + ", " + bytes.length + " bytes]";
  }
}
