package dev.taskbound.core.session;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.broker.Secret;
import dev.taskbound.core.policy.RegistryPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code kind: model} entries of {@code spec.registries} (issue 15): a model API's key, read
 * from the host variable the policy names at the host edge, that the agent never holds. The agent
 * gets a placeholder in a variable of the same name ({@code ANTHROPIC_API_KEY}); the inspecting
 * gateway puts the key in the header the policy names, on requests to the API's host only. A model
 * key whose host is not inspected is refused before anything exists: there would be no one to
 * inject it. Stateless.
 */
final class ModelKeys {
  /**
   * One model key.
   *
   * @param host the API's canonical host
   * @param header the lower-case header the key travels in
   * @param variable the variable the agent finds the placeholder in (the host variable's name)
   * @param key the real key
   */
  record ModelKey(String host, String header, String variable, Secret key) {
    @Override
    public String toString() {
      return "ModelKey[" + host + ", " + header + ", " + variable + "]";
    }
  }

  private ModelKeys() {}

  /**
   * The model keys among {@code policies}, their values read from {@code hostEnvironment}.
   *
   * @throws SessionException (exit 122) naming the entry and the variable, never its value, when the
   *     variable is unset or empty or the API's host is not in {@code egress.inspect}
   */
  static List<ModelKey> resolve(List<RegistryPolicy> policies, List<String> inspected, Map<String, String> hostEnvironment) {
    List<ModelKey> out = new ArrayList<>();
    Set<String> inspectedHosts = Set.copyOf(inspected);
    for (int i = 0; i < policies.size(); i++) {
      RegistryPolicy p = policies.get(i);
      if (p.kind() != RegistryPolicy.Kind.MODEL) {
        continue;
      }
      String where = "registries[" + i + "] (" + p.label() + ")";
      String host = p.url().getHost().toLowerCase(Locale.ROOT);
      if (!inspectedHosts.contains(host)) {
        throw new SessionException(where + ": " + host + " is not in egress.inspect, so no one could inject its key;"
            + " accepted: add " + host + " to egress.inspect", ExitCodes.CREDENTIALS);
      }
      String variable = p.tokenEnv().orElseThrow();
      String value = hostEnvironment.get(variable);
      if (value == null || value.isEmpty()) {
        throw new SessionException(where + " token: the host environment variable " + variable + " is "
            + (value == null ? "not set" : "empty") + "; accepted: set it to the model API key before the run",
            ExitCodes.CREDENTIALS);
      }
      out.add(new ModelKey(host, p.header().orElse("authorization"), variable, Secret.of(value)));
    }
    return List.copyOf(out);
  }
}
