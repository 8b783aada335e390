package dev.taskbound.core.policy;

import java.util.Arrays;
import java.util.Objects;

/**
 * Policy bytes that did not come from a local file (the org ceiling read from GitHub), with the
 * name that stands for the file in messages and provenance, such as {@code
 * github:acme/.github/taskbound/ceiling.yml@0123456789ab}. They are held to the same rules as a
 * policy file when bound: at most {@link #MAX_BYTES}, UTF-8, bounded lines. Immutable.
 *
 * @param name how messages name the source; control characters are escaped when shown
 * @param content the raw bytes (copied)
 */
public record PolicyText(String name, byte[] content) {
  /** The most bytes a policy may have, whatever its source (1 MiB, as for files). */
  public static final long MAX_BYTES = PolicyBinder.MAX_FILE_BYTES;

  public PolicyText {
    Objects.requireNonNull(name, "name");
    content = Objects.requireNonNull(content, "content").clone();
  }

  @Override
  public byte[] content() {
    return content.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PolicyText t && t.name.equals(name) && Arrays.equals(t.content, content);
  }

  @Override
  public int hashCode() {
    return 31 * name.hashCode() + Arrays.hashCode(content);
  }

  @Override
  public String toString() {
    return "PolicyText[" + name + ", " + content.length + " bytes]";
  }
}
