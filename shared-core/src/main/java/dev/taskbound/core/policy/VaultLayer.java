package dev.taskbound.core.policy;

import java.time.Duration;
import java.util.List;

/**
 * {@code spec.vault} as written in one layer. A {@code null} component is not mentioned and is
 * inherited from the layer above.
 */
record VaultLayer(
    Located<List<Located<String>>> policies,
    Located<Duration> ttl,
    Located<Long> numUses,
    Located<List<Located<VaultSecretPolicy>>> secrets) {}
