package dev.taskbound.core.policy;

import dev.taskbound.core.SafeText;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Reads a policy file as UTF-8 text, refusing anything that is not a regular file once links are
 * resolved (a directory, a FIFO, a device such as {@code /dev/zero}, a socket): those are checked
 * before opening, because opening a FIFO without a writer blocks and a device never ends. The size
 * cap is enforced on the stream itself (at most {@code max + 1} bytes are ever read), not trusted
 * from a size taken before reading. Stateless.
 */
final class PolicyFileReader {
  private PolicyFileReader() {}

  /**
   * The file's text; the path as given names the file in messages.
   *
   * @throws PolicyException if the file is missing, not a regular file, unreadable, longer than
   *     {@code max} bytes, or not UTF-8
   */
  static String read(Path path, long max) {
    // Control characters in the path are escaped by PolicyException itself.
    String name = path.toString();
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(path, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new PolicyException(name + ": no such file");
    } catch (IOException e) {
      throw cannotRead(name, e);
    }
    if (attrs.isDirectory()) {
      throw new PolicyException(name + ": is a directory; accepted: a regular policy file");
    }
    if (!attrs.isRegularFile()) {
      throw new PolicyException(name + ": is not a regular file (a FIFO, device or socket); accepted: a regular"
          + " policy file, or a link to one");
    }
    byte[] bytes;
    try (InputStream in = Files.newInputStream(path)) {
      bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
    } catch (IOException e) {
      throw cannotRead(name, e);
    }
    return decode(name, bytes, max);
  }

  /**
   * The text of policy bytes read elsewhere (the org ceiling from GitHub), under the same rules as
   * a file: at most {@code max} bytes, UTF-8 only.
   *
   * @throws PolicyException naming {@code name} if the bytes are too many or not UTF-8
   */
  static String decode(String name, byte[] bytes, long max) {
    if (bytes.length > max) {
      throw new PolicyException(name + ": larger than " + max + " bytes; policy files are small");
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw new PolicyException(name + ": not UTF-8 text");
    }
  }

  private static PolicyException cannotRead(String name, IOException e) {
    if (e instanceof AccessDeniedException) {
      return new PolicyException(name + ": cannot read (permission denied)");
    }
    return new PolicyException(name + ": cannot read (" + e.getClass().getSimpleName() + ": "
        + SafeText.value(String.valueOf(e.getMessage())) + ")", e);
  }
}
