package dev.taskbound.core.policy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The confinement fields while layers are merged ({@link Narrowing} holds one): a lower layer's
 * read-only path must lie within an upper read-only or read-write path, a read-write path within an
 * upper read-write path, a passed variable must be one the upper layer passes; hidden paths add up;
 * {@code reduced} needs the Ceiling's {@code allowReduced} and no upper layer that asked for
 * {@code full}. {@code sandbox.user} and {@code allowReduced} are the Ceiling's alone (the binder
 * refuses them elsewhere). Mutable, confined to one resolution.
 */
final class ConfinementNarrowing {
  private Located<String> user;
  private Located<List<Located<PolicyPath>>> readOnly = Located.builtIn(List.of(), "sandbox.paths.readOnly");
  private Located<List<Located<PolicyPath>>> readWrite = Located.builtIn(List.of(), "sandbox.paths.readWrite");
  private Located<List<Located<PolicyPath>>> hide = Located.builtIn(List.of(), "sandbox.paths.hide");
  private Located<List<Located<String>>> envPass = Located.builtIn(List.of(), "sandbox.env.pass");
  private Located<ConfinementLevel> level = Located.builtIn(ConfinementLevel.FULL, "sandbox.confinement");
  private Located<List<Located<Protection>>> allowReduced = Located.builtIn(List.of(), "sandbox.allowReduced");

  ConfinementNarrowing copy() {
    ConfinementNarrowing c = new ConfinementNarrowing();
    c.user = user;
    c.readOnly = readOnly;
    c.readWrite = readWrite;
    c.hide = hide;
    c.envPass = envPass;
    c.level = level;
    c.allowReduced = allowReduced;
    return c;
  }

  /**
   * Applies one layer.
   *
   * @param open whether the current values are the built-in default ceiling's, whose limits are open
   * @param ceiling where the org Ceiling is, for messages about values it left at the built-in default
   */
  void apply(SandboxLayer layer, boolean open, Provenance ceiling) {
    if (layer.user() != null) {
      user = layer.user();
    }
    if (layer.allowReduced() != null) {
      allowReduced = layer.allowReduced();
    }
    Located<List<Located<PolicyPath>>> upperReadWrite = readWrite;
    Located<List<Located<PolicyPath>>> upperReadOnly = readOnly;
    if (layer.readWrite() != null) {
      if (!open) {
        within(layer.readWrite(), upperReadWrite.value(), upperReadWrite, ceiling, "read-write path");
      }
      readWrite = layer.readWrite();
    }
    if (layer.readOnly() != null) {
      if (!open) {
        List<Located<PolicyPath>> upper = new ArrayList<>(readOnly.value());
        upper.addAll(upperReadWrite.value()); // what may be written may also be only read
        within(layer.readOnly(), upper, readOnly, ceiling, "path");
      }
      readOnly = layer.readOnly();
    }
    if (!open && (layer.readWrite() != null || layer.readOnly() != null)) {
      keepReadOnly(layer, upperReadOnly.value(), upperReadWrite.value(), ceiling);
    }
    if (layer.hide() != null) {
      // Hiding only ever adds up.
      List<Located<PolicyPath>> union = new ArrayList<>(hide.value());
      union.addAll(layer.hide().value());
      hide = new Located<>(Collections.unmodifiableList(union), layer.hide().at(), layer.hide().field());
    }
    if (layer.envPass() != null) {
      if (!open) {
        for (Located<String> name : layer.envPass().value()) {
          if (envPass.value().stream().noneMatch(u -> u.value().equals(name.value()))) {
            throw widens(name, name.value(), envPass.value().isEmpty()
                ? limitAt(envPass, ceiling) + " passes no host variable"
                : limitAt(envPass, ceiling) + " passes " + join(envPass.value(), Function.identity()));
          }
        }
      }
      envPass = layer.envPass();
    }
    if (layer.level() != null) {
      applyLevel(layer.level(), open, ceiling);
    }
  }

  private void applyLevel(Located<ConfinementLevel> l, boolean open, Provenance ceiling) {
    if (l.value() == ConfinementLevel.REDUCED) {
      if (allowReduced.value().isEmpty()) {
        throw new PolicyException(l.where() + ": reduced needs the Ceiling's permission, but "
            + (allowReduced.at().isBuiltIn() ? (ceiling.isBuiltIn() ? "there is no Ceiling" : "the Ceiling (" + ceiling
                + ") sets no sandbox.allowReduced") : allowReduced.where() + " is empty")
            + "; accepted: full, or reduced under a Ceiling whose sandbox.allowReduced lists what may be off ("
            + Protection.ACCEPTED + ")");
      }
      if (!open && level.value() == ConfinementLevel.FULL && !level.at().isBuiltIn()) {
        throw widens(l, "reduced", limitAt(level, ceiling) + " asks for full");
      }
    }
    level = l;
  }

  /**
   * The most specific path decides inside the sandbox, so a read-only path within a writable one is
   * a limit of its own: a lower layer keeps each (it may name it or a path above it read-only) and
   * opens nothing within it that the upper layer had not opened.
   */
  private void keepReadOnly(SandboxLayer layer, List<Located<PolicyPath>> upperReadOnly,
      List<Located<PolicyPath>> upperReadWrite, Provenance ceiling) {
    List<Located<PolicyPath>> lowerWritable = readWrite.value();
    List<Located<PolicyPath>> lowerReadOnly = readOnly.value();
    PolicyPath workspace = new PolicyPath(PolicyPath.Root.WORKSPACE, ""); // always writable
    for (Located<PolicyPath> kept : upperReadOnly) {
      boolean inWritable = kept.value().isWithin(workspace)
          || lowerWritable.stream().anyMatch(w -> kept.value().isWithin(w.value()));
      if (inWritable && lowerReadOnly.stream().noneMatch(r -> kept.value().isWithin(r.value()))) {
        Located<?> at = layer.readOnly() != null ? layer.readOnly() : layer.readWrite();
        throw widens(at, "leaving out " + kept.value(), limitAt(kept, ceiling) + " keeps " + kept.value()
            + " read-only within a writable path; accepted: name it, or a path above it, read-only");
      }
      if (layer.readWrite() != null) {
        for (Located<PolicyPath> w : layer.readWrite().value()) {
          boolean opened = upperReadWrite.stream()
              .anyMatch(u -> w.value().isWithin(u.value()) && u.value().isWithin(kept.value()) && !u.value().equals(kept.value()));
          if (w.value().isWithin(kept.value()) && !opened) {
            throw widens(w, w.value().toString(), limitAt(kept, ceiling) + " keeps " + kept.value() + " read-only");
          }
        }
      }
    }
  }

  private static void within(Located<List<Located<PolicyPath>>> lower, List<Located<PolicyPath>> upper,
      Located<?> limit, Provenance ceiling, String what) {
    for (Located<PolicyPath> p : lower.value()) {
      if (upper.stream().noneMatch(u -> p.value().isWithin(u.value()))) {
        throw widens(p, p.value().toString(), upper.isEmpty()
            ? limitAt(limit, ceiling) + " allows no " + what + "s"
            : "it lies within no " + what + " of " + limitAt(limit, ceiling) + ": "
                + join(upper, PolicyPath::toString) + "; paths are compared as written, so write it with the same"
                + " root (/, ~ or $WORKSPACE)");
      }
    }
  }

  private static String limitAt(Located<?> limit, Provenance ceiling) {
    return limit.at().isBuiltIn() && !ceiling.isBuiltIn()
        ? "built-in default under the Ceiling at " + ceiling
        : limit.at().toString();
  }

  private static PolicyException widens(Located<?> lower, String value, String limit) {
    return new PolicyException(lower.where() + ": " + value + " widens the ceiling (" + limit + ")");
  }

  private static <T> String join(List<Located<T>> items, Function<T, String> show) {
    String shown = items.stream().limit(10).map(i -> show.apply(i.value())).collect(Collectors.joining(", "));
    return items.size() > 10 ? shown + " and " + (items.size() - 10) + " more" : shown;
  }

  /** The merged values, recording their provenance under the {@code sandbox.*} keys. */
  ConfinementPolicy toPolicy(Map<String, Provenance> prov) {
    if (user != null) {
      prov.put("sandbox.user", user.at());
    }
    prov.put("sandbox.confinement", level.at());
    return new ConfinementPolicy(Optional.ofNullable(user).map(Located::value),
        values(readOnly, "sandbox.paths.readOnly", prov), values(readWrite, "sandbox.paths.readWrite", prov),
        distinct(values(hide, "sandbox.paths.hide", prov)), distinct(values(envPass, "sandbox.env.pass", prov)),
        level.value(), distinct(values(allowReduced, "sandbox.allowReduced", prov)));
  }

  private static <T> List<T> distinct(List<T> items) {
    return List.copyOf(new java.util.LinkedHashSet<>(items));
  }

  private static <T> List<T> values(Located<List<Located<T>>> list, String key, Map<String, Provenance> prov) {
    prov.put(key, list.at());
    List<T> out = new ArrayList<>();
    for (Located<T> item : list.value()) {
      prov.put(key + "[" + out.size() + "]", item.at());
      out.add(item.value());
    }
    return out;
  }
}
