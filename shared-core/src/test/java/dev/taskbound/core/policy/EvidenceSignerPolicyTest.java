package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code spec.evidence.signer}: the Ceiling names the org signer and no lower layer can remove it (issue 14). */
class EvidenceSignerPolicyTest {
  @TempDir Path tmp;

  private static final String CEILING = "apiVersion: taskbound.dev/v1\nkind: Ceiling\nspec:\n  evidence:\n    signer:\n"
      + "      vault-transit: {mount: transit, key: taskbound-evidence}\n";

  @Test
  void theCeilingsSignerReachesTheEffectivePolicyAndItsDigest() throws Exception {
    Path ceiling = Files.writeString(tmp.resolve("c.yml"), CEILING);
    Path task = Files.writeString(tmp.resolve("t.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  ttl: 10m\n");

    EffectivePolicy policy = PolicyResolver.resolve(List.of(ceiling, task), Optional.empty());

    assertThat(policy.evidenceSigner()).contains(new EvidenceSigner("transit", "taskbound-evidence"));
    assertThat(policy.toCanonicalJson()).contains("\"evidence\":{\"signer\":{\"vault-transit\":{\"key\":\"taskbound-evidence\","
        + "\"mount\":\"transit\"}}}");
    assertThat(policy.provenanceOf("evidence.signer")).isPresent();
  }

  @Test
  void aTaskCannotSetOrRemoveTheSigner() throws Exception {
    Path ceiling = Files.writeString(tmp.resolve("c.yml"), CEILING);
    Path task = Files.writeString(tmp.resolve("t.yml"), "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  evidence:\n"
        + "    signer: {vault-transit: {key: other}}\n");

    assertThatThrownBy(() -> PolicyResolver.resolve(List.of(ceiling, task), Optional.empty()))
        .isInstanceOf(PolicyException.class)
        .hasMessage(task + ":4: spec.evidence: only accepted in the Ceiling's spec; the org signer is the organisation's,"
            + " so a profile or Task can neither set nor remove it");
  }

  @Test
  void aSignerWithoutKeyNamesTheFieldAndWhatIsAccepted() throws Exception {
    Path ceiling = Files.writeString(tmp.resolve("c.yml"), "apiVersion: taskbound.dev/v1\nkind: Ceiling\nspec:\n"
        + "  evidence:\n    signer:\n      vault-transit: {mount: transit}\n");

    assertThatThrownBy(() -> PolicyResolver.resolve(List.of(ceiling), Optional.empty()))
        .isInstanceOf(PolicyException.class)
        .hasMessageContaining("spec.evidence.signer.vault-transit.key: missing; accepted: the name of a Transit key of type"
            + " ecdsa-p256");
  }
}
