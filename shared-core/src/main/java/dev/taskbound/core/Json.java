package dev.taskbound.core;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;

/**
 * The core's one plain Jackson mapper (Jackson's defaults), shared: a mapper is thread-safe once
 * configured, and each new one builds its own serializers on first use, ~2 ms each on a run's start
 * path where a shared one pays once (bench/README.md). Never reconfigure it; a mapper with other
 * settings (the evidence's canonical form, YAML, sorted keys) is its owner's own.
 */
public final class Json {
  /** Jackson's defaults. */
  public static final ObjectMapper MAPPER = new ObjectMapper();
  /** {@link #MAPPER}'s output, pretty-printed (as {@code SerializationFeature.INDENT_OUTPUT}). */
  public static final ObjectWriter PRETTY = MAPPER.writerWithDefaultPrettyPrinter();

  private Json() {}
}
