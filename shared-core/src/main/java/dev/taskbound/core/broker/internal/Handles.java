package dev.taskbound.core.broker.internal;

import java.util.LinkedHashMap;
import java.util.Map;

/** Reading and writing teardown-journal handles. */
public final class Handles {
  private Handles() {}

  /** The handle's field as a string, or null when absent or blank. */
  public static String field(Map<String, ?> handle, String key) {
    Object value = handle.get(key);
    return value == null || value.toString().isBlank() ? null : value.toString();
  }

  /** An ordered handle from alternating keys and values; null values are left out. */
  public static Map<String, String> of(String... keysAndValues) {
    Map<String, String> handle = new LinkedHashMap<>();
    for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
      if (keysAndValues[i + 1] != null) {
        handle.put(keysAndValues[i], keysAndValues[i + 1]);
      }
    }
    return handle;
  }
}
