package dev.taskbound.core.policy;

import dev.taskbound.core.egress.EgressRule;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One {@code spec} as written in a Ceiling, a profile or a Task. A {@code null} component means the
 * layer does not mention the field and inherits it from the layer above.
 */
record Layer(
    Located<String> trustDomain,
    Located<String> audience,
    Located<List<Located<String>>> audiences,
    Located<Duration> ttl,
    Located<List<Located<SandboxBackend>>> backends,
    Located<Enforcement> enforcement,
    Located<List<Located<EgressRule>>> allow,
    Located<List<Located<EgressRule>>> deny,
    Located<Map<String, Located<String>>> hosts,
    Located<List<Located<String>>> repositories,
    Located<Map<String, Located<Permission>>> permissions,
    Located<List<Located<GateRule>>> gateRules,
    Located<VaultLayer> vault,
    Located<Boolean> allowPrivate,
    Located<List<Located<RegistryPolicy>>> registries,
    Located<Integer> pids,
    Located<Long> memory,
    Located<String> containerRuntime,
    Located<List<Located<String>>> inspect,
    Located<EvidenceSigner> signer,
    SandboxLayer confinement,
    HookLayer hooks) {

  static final Layer EMPTY = new Layer(null, null, null, null, null, null, null, null, null, null, null, null, null,
      null, null, null, null, null, null, null, SandboxLayer.EMPTY, HookLayer.EMPTY);

  /** A layer that does not mention {@code egress.inspect}, {@code evidence} nor the sandbox's confinement. */
  Layer(Located<String> trustDomain, Located<String> audience, Located<List<Located<String>>> audiences,
      Located<Duration> ttl, Located<List<Located<SandboxBackend>>> backends, Located<Enforcement> enforcement,
      Located<List<Located<EgressRule>>> allow, Located<List<Located<EgressRule>>> deny,
      Located<Map<String, Located<String>>> hosts, Located<List<Located<String>>> repositories,
      Located<Map<String, Located<Permission>>> permissions, Located<List<Located<GateRule>>> gateRules,
      Located<VaultLayer> vault, Located<Boolean> allowPrivate, Located<List<Located<RegistryPolicy>>> registries,
      Located<Integer> pids, Located<Long> memory, Located<String> containerRuntime) {
    this(trustDomain, audience, audiences, ttl, backends, enforcement, allow, deny, hosts, repositories, permissions,
        gateRules, vault, allowPrivate, registries, pids, memory, containerRuntime, null, null, SandboxLayer.EMPTY,
        HookLayer.EMPTY);
  }
}
