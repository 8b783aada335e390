package dev.taskbound.core.testing;

import java.util.ArrayList;
import java.util.List;
import org.quicktheories.QuickTheory;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * The one place fuzz tests ({@code *FuzzTest}, QuickTheories properties inside JUnit {@code @Test}s)
 * get their number of examples and, to replay a failure, their seed. The normal suite runs
 * {@value #DEFAULT_EXAMPLES} examples per property (a few seconds per class); {@code bench/fuzz.sh}
 * passes {@code -Dtaskbound.fuzz.examples=N}. Without {@code -Dtaskbound.fuzz.seed=S} each run draws
 * a new seed, which a failing property prints ("Seed was S").
 */
public final class Fuzz {
  public static final String EXAMPLES_PROPERTY = "taskbound.fuzz.examples";
  public static final String SEED_PROPERTY = "taskbound.fuzz.seed";
  public static final int DEFAULT_EXAMPLES = 300;

  private Fuzz() {}

  public static QuickTheory qt() {
    report(examples() + " examples");
    QuickTheory qt = QuickTheory.qt().withExamples(examples());
    String seed = System.getProperty(SEED_PROPERTY, "").strip();
    return seed.isEmpty() ? qt : qt.withFixedSeed(Long.parseLong(seed));
  }

  /** Examples per property: {@value #EXAMPLES_PROPERTY} if set (Maven forwards it blank when unset). */
  public static int examples() {
    String value = System.getProperty(EXAMPLES_PROPERTY, "").strip();
    if (value.isEmpty()) {
      return DEFAULT_EXAMPLES;
    }
    int n = Integer.parseInt(value);
    if (n < 1) {
      throw new IllegalArgumentException(EXAMPLES_PROPERTY + " must be a positive number, got " + value);
    }
    return n;
  }

  /**
   * Prints {@code "fuzz: " + line} for bench/fuzz.sh's table, only when the number of examples was set
   * on the command line: the normal suite stays quiet.
   */
  public static void report(String line) {
    if (!System.getProperty(EXAMPLES_PROPERTY, "").isBlank()) {
      System.out.println("fuzz: " + line);
    }
  }

  /** Any byte value. */
  public static Gen<Byte> anyByte() {
    return Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0);
  }

  /** Byte arrays of {@code min} to {@code max} elements drawn from {@code bytes}. */
  public static Gen<byte[]> byteArrays(Gen<Byte> bytes, int min, int max) {
    return Generate.byteArrays(Generate.range(min, max), bytes);
  }

  /** One of the given values, all equally likely. */
  @SafeVarargs
  public static <T> Gen<T> oneOfValues(T... values) {
    return Generate.pick(List.of(values));
  }

  /** Bytes shown as ISO-8859-1 text with control and non-ASCII bytes escaped, for failure reports. */
  public static String printable(byte[] bytes) {
    StringBuilder sb = new StringBuilder("\"");
    for (byte b : bytes) {
      int c = b & 0xff;
      if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
        sb.append((char) c);
      } else if (c == '\\' || c == '"') {
        sb.append('\\').append((char) c);
      } else {
        sb.append(String.format("\\x%02x", c));
      }
    }
    return sb.append("\" (").append(bytes.length).append(" bytes)").toString();
  }

  /** Applies byte edits to a copy of {@code base}: each inserts, replaces or deletes one byte. */
  public static byte[] edit(byte[] base, List<Edit> edits) {
    List<Byte> out = new ArrayList<>(base.length + edits.size());
    for (byte x : base) {
      out.add(x);
    }
    for (Edit e : edits) {
      e.applyTo(out);
    }
    byte[] a = new byte[out.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = out.get(i);
    }
    return a;
  }

  /** One edit of a byte list; {@code at} is reduced modulo the list's size (plus one for inserts). */
  public record Edit(Kind kind, int at, byte value) {
    public enum Kind { INSERT, REPLACE, DELETE }

    void applyTo(List<Byte> out) {
      int i = Math.floorMod(at, out.size() + 1);
      switch (kind) {
        case INSERT -> out.add(i, value);
        case REPLACE -> {
          if (i < out.size()) {
            out.set(i, value);
          }
        }
        case DELETE -> {
          if (i < out.size()) {
            out.remove(i);
          }
        }
      }
    }
  }
}
