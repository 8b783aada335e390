package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 18, item 2: a policy path that is not a regular file once links are resolved is refused
 * before it is opened, so a device never fills memory and a FIFO never blocks. The timeouts are a
 * safety net only: the code under test must not wait at all.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PolicyFileTypeTest {
  private static final String NOT_REGULAR =
      ": is not a regular file (a FIFO, device or socket); accepted: a regular policy file, or a link to one";

  @TempDir Path dir;

  @Test
  void refusesALinkToDevZeroWithoutReadingIt() throws IOException {
    Path link = Files.createSymbolicLink(dir.resolve("zero.yml"), Path.of("/dev/zero"));

    PolicyException e = refusal(link);

    assertThat(e.getMessage()).isEqualTo(link + NOT_REGULAR);
  }

  @Test
  void refusesAFifoWithoutAWriterWithoutBlocking() throws Exception {
    Path fifo = mkfifo("nowriter.yml");

    PolicyException e = refusal(fifo);

    assertThat(e.getMessage()).isEqualTo(fifo + NOT_REGULAR);
  }

  @Test
  void refusesAFifoWithAWriterWithoutReadingIt() throws Exception {
    Path fifo = mkfifo("writer.yml");
    // A real writer: `yes` opens the FIFO and would stream forever once a reader opened it.
    Process writer = new ProcessBuilder("sh", "-c", "exec yes > '" + fifo + "'").start();
    try {
      PolicyException e = refusal(fifo);

      assertThat(e.getMessage()).isEqualTo(fifo + NOT_REGULAR);
    } finally {
      writer.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void refusesADirectory() throws IOException {
    Path sub = Files.createDirectory(dir.resolve("policy.d"));

    PolicyException e = refusal(sub);

    assertThat(e.getMessage()).isEqualTo(sub + ": is a directory; accepted: a regular policy file");
  }

  @Test
  void refusesAFileOverTheCapReadingNoMoreThanTheCap() throws IOException {
    Path big = Files.write(dir.resolve("big.yml"), new byte[(1 << 20) + 1]);

    PolicyException e = refusal(big);

    assertThat(e.getMessage()).isEqualTo(big + ": larger than 1048576 bytes; policy files are small");
  }

  @Test
  void acceptsALinkToARegularFile() throws IOException {
    Path file = Files.writeString(dir.resolve("real.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\n");
    Path link = Files.createSymbolicLink(dir.resolve("link.yml"), file);

    assertThat(PolicyResolver.check(link)).containsExactly("Task");
  }

  @Test
  void refusesADanglingLinkAsMissing() throws IOException {
    Path link = Files.createSymbolicLink(dir.resolve("gone.yml"), dir.resolve("nothing-here.yml"));

    PolicyException e = refusal(link);

    assertThat(e.getMessage()).isEqualTo(link + ": no such file");
  }

  private Path mkfifo(String name) throws Exception {
    Path fifo = dir.resolve(name);
    Process p = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    return fifo;
  }

  private static PolicyException refusal(Path file) {
    PolicyException e = catchThrowableOfType(() -> PolicyResolver.check(file), PolicyException.class);
    assertThat(e).isNotNull();
    assertThat(e.exitCode()).isEqualTo(120);
    return e;
  }
}
