package dev.taskbound.core.policy;

import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Renders an {@link EffectivePolicy} for people: one value a line, each followed by where it came
 * from ({@code ttl: 30m  (task.yml:6)}), then the digest. Stateless, thread-safe.
 */
public final class PolicyExplainer {
  private PolicyExplainer() {}

  /** The explanation, lines separated by {@code \n}, ending with a newline. */
  public static String render(EffectivePolicy p) {
    StringBuilder b = new StringBuilder();
    line(b, p, "ceiling", null);
    line(b, p, "profile", p.profile().orElse("none"));
    line(b, p, "identity.trustDomain", p.trustDomain());
    line(b, p, "identity.audience", p.audience());
    line(b, p, "ttl", DurationFormat.format(p.ttl()));
    line(b, p, "sandbox.backends", String.join(", ", p.backends().stream().map(SandboxBackend::yamlName).toList()));
    line(b, p, "sandbox.enforcement", p.enforcement().yamlName());
    line(b, p, "sandbox.limits.pids", p.limits().pidsText());
    line(b, p, "sandbox.limits.memory", p.limits().memoryText());
    p.containerRuntime().ifPresent(r -> line(b, p, "sandbox.container.runtime", r));
    confinement(b, p);
    list(b, p, "egress.allow", p.allow(), Object::toString);
    list(b, p, "egress.deny", p.deny(), Object::toString);
    map(b, p, "egress.hosts", p.hosts(), Function.identity(), k -> "egress.hosts[" + k + "]");
    line(b, p, "egress.allowPrivate", String.valueOf(p.allowPrivate()));
    list(b, p, "github.repositories", p.repositories(), Function.identity());
    map(b, p, "github.permissions", p.permissions(), Permission::yamlName, k -> "github.permissions." + k);
    list(b, p, "gate.rules", p.gateRules(), Object::toString);
    vault(b, p);
    b.append("digest: ").append(p.digest()).append('\n');
    return b.toString();
  }

  /** The sandbox's confinement fields, only those a layer set (so a plain policy reads as before). */
  private static void confinement(StringBuilder b, EffectivePolicy p) {
    ConfinementPolicy c = p.confinement();
    c.user().ifPresent(u -> line(b, p, "sandbox.user", u));
    if (!c.readOnly().isEmpty()) {
      list(b, p, "sandbox.paths.readOnly", c.readOnly(), Object::toString);
    }
    if (!c.readWrite().isEmpty()) {
      list(b, p, "sandbox.paths.readWrite", c.readWrite(), Object::toString);
    }
    if (!c.hide().isEmpty()) {
      list(b, p, "sandbox.paths.hide", c.hide(), Object::toString);
    }
    if (!c.envPass().isEmpty()) {
      list(b, p, "sandbox.env.pass", c.envPass(), Function.identity());
    }
    if (c.level() != ConfinementLevel.FULL || !c.allowReduced().isEmpty()) {
      line(b, p, "sandbox.confinement", c.level().yamlName());
      list(b, p, "sandbox.allowReduced", c.allowReduced(), Protection::yamlName);
    }
  }

  private static void vault(StringBuilder b, EffectivePolicy p) {
    if (p.vault().isEmpty()) {
      line(b, p, "vault", "none");
      return;
    }
    VaultPolicy v = p.vault().get();
    list(b, p, "vault.policies", v.policies(), Function.identity());
    line(b, p, "vault.ttl", DurationFormat.format(v.tokenTtl(p.ttl())));
    if (v.numUses().isPresent()) {
      line(b, p, "vault.numUses", Long.toString(v.numUses().getAsLong()));
    }
    list(b, p, "vault.secrets", v.secrets(), s -> s.name() + " (" + s.kind().yamlName() + " " + s.path() + ", "
        + s.access().yamlName() + s.env().or(s::file).map(t -> " " + t).orElse("") + ")");
  }

  private static void line(StringBuilder b, EffectivePolicy p, String key, String value) {
    b.append(key).append(": ");
    if (value == null) {
      b.append(from(p, key));
    } else {
      b.append(value).append(origin(p, key));
    }
    b.append('\n');
  }

  private static <T> void list(StringBuilder b, EffectivePolicy p, String key, List<T> items,
      Function<T, String> show) {
    if (items.isEmpty()) {
      line(b, p, key, "none");
      return;
    }
    b.append(key).append(":\n");
    for (int i = 0; i < items.size(); i++) {
      b.append("  - ").append(show.apply(items.get(i))).append(origin(p, key + "[" + i + "]")).append('\n');
    }
  }

  private static <V> void map(StringBuilder b, EffectivePolicy p, String key, Map<String, V> items,
      Function<V, String> show, Function<String, String> itemKey) {
    if (items.isEmpty()) {
      line(b, p, key, "none");
      return;
    }
    b.append(key).append(":\n");
    items.forEach((k, v) -> b.append("  ").append(k).append(": ").append(show.apply(v))
        .append(origin(p, itemKey.apply(k))).append('\n'));
  }

  private static String origin(EffectivePolicy p, String key) {
    return p.provenanceOf(key).map(at -> "  (" + at + ")").orElse("");
  }

  private static String from(EffectivePolicy p, String key) {
    return p.provenanceOf(key).map(Provenance::toString).orElse("built-in default");
  }
}
