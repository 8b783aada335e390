package dev.taskbound.core.session;

import dev.taskbound.core.broker.SecretMasker;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Carries one of the agent's output streams to the host's, masking secrets line by line. The
 * sandbox writes into a named pipe (a {@link Redirect} to a file is all {@code SandboxIo} takes); a
 * daemon thread reads it, masks each complete line and writes it on at once, so interactive output
 * is held back by at most one line. A line longer than {@value #MAX_LINE} bytes is passed on in
 * pieces, each masked and cut where no secret or token crosses the cut ({@link SecretMasker#safeCut(byte[], int)}):
 * the agent chooses where its lines end, and a secret cut in two would pass unmasked.
 *
 * <p>Thread-safe: {@link #await} and {@link #close} may be called from any thread.
 */
final class MaskingPump implements AutoCloseable {
  static final int MAX_LINE = 1 << 16;

  private final Path fifo;
  private final Thread thread;
  private volatile boolean connected;

  private MaskingPump(Path fifo, OutputStream sink, java.util.function.Supplier<SecretMasker> maskers, String name) {
    this.fifo = fifo;
    this.thread = new Thread(() -> pump(sink, maskers), "taskbound-mask-" + name);
    this.thread.setDaemon(true);
  }

  /**
   * Creates the named pipe {@code fifo} (mode 0600) and starts reading it. Each line is masked with
   * the masker {@code maskers} gives then: a secret issued while the agent runs (a refreshed token)
   * is masked from the next line on.
   *
   * @throws UncheckedIOException if the pipe cannot be made
   */
  static MaskingPump start(Path fifo, OutputStream sink, java.util.function.Supplier<SecretMasker> maskers, String name) {
    try {
      // from the system's directories: this process's PATH is the CI step's, which the agent may write to
      Process mk = new ProcessBuilder(dev.taskbound.core.sandbox.SandboxTools.system("mkfifo", "coreutils").toString(),
          "-m", "600", fifo.toString()).redirectErrorStream(true).start();
      String out = new String(mk.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!mk.waitFor(10, TimeUnit.SECONDS) || mk.exitValue() != 0) {
        throw new IOException("mkfifo " + fifo + " failed: " + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the output pipe " + fifo, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UncheckedIOException(new IOException("interrupted while creating " + fifo));
    }
    MaskingPump pump = new MaskingPump(fifo, sink, maskers, name);
    pump.thread.start();
    return pump;
  }

  /** Where the agent's stream goes. */
  Redirect redirect() {
    return Redirect.appendTo(fifo.toFile());
  }

  private void pump(OutputStream sink, java.util.function.Supplier<SecretMasker> maskers) {
    // Opening a FIFO for reading blocks until the sandbox opens it for writing.
    try (InputStream in = new FileInputStream(fifo.toFile())) {
      connected = true;
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      byte[] buffer = new byte[8192];
      int n;
      while ((n = in.read(buffer)) > 0) {
        for (int i = 0; i < n; i++) {
          line.write(buffer[i]);
          if (buffer[i] == '\n') {
            emit(line, sink, maskers.get());
          } else if (line.size() >= MAX_LINE) {
            emitStart(line, sink, maskers.get());
          }
        }
      }
      emit(line, sink, maskers.get());
    } catch (IOException e) {
      // The host's stream is gone (closed terminal): nothing left to write to.
    }
  }

  /** Passes on what of a long line no secret crosses into the rest; the rest stays for what follows. */
  private static void emitStart(ByteArrayOutputStream line, OutputStream sink, SecretMasker masker) throws IOException {
    byte[] all = line.toByteArray();
    int cut = masker.safeCut(all, all.length);
    if (cut == 0) {
      emit(line, sink, masker); // nothing can be cut off: the whole of it, masked (no secret is this long)
      return;
    }
    line.reset();
    line.write(all, 0, cut);
    emit(line, sink, masker);
    line.write(all, cut, all.length - cut);
  }

  private static void emit(ByteArrayOutputStream line, OutputStream sink, SecretMasker masker) throws IOException {
    if (line.size() == 0) {
      return;
    }
    String text = line.toString(StandardCharsets.UTF_8);
    String masked = masker.mask(text);
    // Unchanged lines go on byte for byte (binary output survives).
    sink.write(masked.equals(text) ? line.toByteArray() : masked.getBytes(StandardCharsets.UTF_8));
    sink.flush();
    line.reset();
  }

  /**
   * Waits up to {@code timeout} for the stream to end (every writer closed it).
   *
   * @return whether it ended
   */
  boolean await(Duration timeout) throws InterruptedException {
    thread.join(Math.max(1, timeout.toMillis()));
    return !thread.isAlive();
  }

  /**
   * Ends the pump: if the sandbox never opened the pipe, opens it once for writing so the reader
   * sees end of file; then waits briefly and removes the pipe.
   */
  @Override
  public void close() {
    try {
      if (!connected && thread.isAlive()) {
        Thread unblock = new Thread(() -> {
          try (OutputStream ignored = new FileOutputStream(fifo.toFile())) {
            // Opened and closed: the blocked reader's open returns and reads end of file.
          } catch (IOException e) {
            // The reader went away meanwhile.
          }
        }, "taskbound-mask-unblock");
        unblock.setDaemon(true);
        unblock.start();
      }
      await(Duration.ofSeconds(2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      try {
        Files.deleteIfExists(fifo);
      } catch (IOException e) {
        // The private state directory is removed at teardown anyway.
      }
    }
  }
}
