package dev.taskbound.core.egress;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The named egress presets of {@code presets.yml} (this package's resource): {@code npm},
 * {@code pypi}, {@code github}, ... each a description and a list of allow rules. Immutable and
 * thread-safe; load once with {@link #builtIn()} and pass it down.
 */
public final class EgressPresets {
  /** One preset: its name, a one-line description and its rules. */
  public record Preset(String name, String description, List<EgressRule> rules) {
    public Preset {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(description, "description");
      rules = List.copyOf(rules);
    }
  }

  private final Map<String, Preset> presets;

  private EgressPresets(Map<String, Preset> presets) {
    this.presets = Collections.unmodifiableMap(new LinkedHashMap<>(presets));
  }

  /**
   * Loads the presets shipped with Taskbound.
   *
   * @throws IllegalStateException if the resource is missing or malformed (a build error)
   */
  public static EgressPresets builtIn() {
    try (InputStream in = EgressPresets.class.getResourceAsStream("presets.yml")) {
      if (in == null) {
        throw new IllegalStateException("presets.yml is missing from the classpath");
      }
      Map<String, Map<String, Object>> raw =
          new ObjectMapper(new YAMLFactory()).readValue(in, new TypeReference<LinkedHashMap<String, Map<String, Object>>>() {});
      Map<String, Preset> out = new LinkedHashMap<>();
      raw.forEach((name, body) -> out.put(name, preset(name, body)));
      return new EgressPresets(out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read presets.yml", e);
    }
  }

  private static Preset preset(String name, Map<String, Object> body) {
    if (!body.keySet().equals(java.util.Set.of("description", "rules"))
        || !(body.get("description") instanceof String)
        || !(body.get("rules") instanceof List)) {
      throw new IllegalStateException("presets.yml: preset " + name + " needs exactly description (text) and rules (list)");
    }
    List<EgressRule> rules = new ArrayList<>();
    for (Object r : (List<?>) body.get("rules")) {
      rules.add(EgressRule.parse(String.valueOf(r)));
    }
    return new Preset(name, (String) body.get("description"), rules);
  }

  /** The preset names, in the file's order. */
  public List<String> names() {
    return List.copyOf(presets.keySet());
  }

  /** The preset with this name, or empty. */
  public Optional<Preset> get(String name) {
    return Optional.ofNullable(presets.get(name));
  }

  /** Every preset, in the file's order. */
  public List<Preset> all() {
    return List.copyOf(presets.values());
  }
}
