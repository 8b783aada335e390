package dev.taskbound.core.policy;

import dev.taskbound.core.SafeText;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The lower-case spelling shared by every policy enum. */
final class PolicyEnums {
  private PolicyEnums() {}

  static String yamlName(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  /** Comma-separated YAML spellings of all constants, for "accepted:" lists. */
  static <E extends Enum<E>> String accepted(Class<E> type) {
    return Arrays.stream(type.getEnumConstants()).map(PolicyEnums::yamlName).collect(Collectors.joining(", "));
  }

  static <E extends Enum<E>> E parse(Class<E> type, String text) {
    for (E e : type.getEnumConstants()) {
      if (yamlName(e).equals(text)) {
        return e;
      }
    }
    throw new PolicyException(SafeText.quoted(text) + " is not accepted; accepted: " + accepted(type));
  }
}
