package dev.taskbound.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.TaskboundException;
import dev.taskbound.core.policy.EffectivePolicy;
import dev.taskbound.core.policy.GithubPolicyLocation;
import dev.taskbound.core.policy.PolicyResolver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CeilingRepositoryGuardTest {
  private static final Optional<GithubPolicyLocation> ACME = Optional.of(GithubPolicyLocation.orgCeiling("acme"));

  @TempDir Path dir;

  private EffectivePolicy grant(String repositories, String permissions) throws IOException {
    Path task = Files.writeString(dir.resolve("task.yml"), String.join("\n",
        "apiVersion: taskbound.dev/v1", "kind: Task", "spec:", "  github:",
        "    repositories: " + repositories, "    permissions: " + permissions, ""));
    return PolicyResolver.resolve(List.of(task), Optional.empty());
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {
      "[acme/*]; {contents: write}; acme/*; contents: write",
      "[Acme/*]; {contents: read, administration: admin}; acme/*; administration: admin",
      "[acme/app, ACME/.GitHub]; {pull_requests: write}; acme/.github; pull_requests: write"})
  void aGrantAboveReadThatReachesTheCeilingsRepositoryIsRefused(String repositories, String permissions,
      String reaching, String writes) throws IOException {
    EffectivePolicy policy = grant(repositories, permissions);

    assertThatThrownBy(() -> CeilingRepositoryGuard.check(policy, ACME))
        .isInstanceOf(dev.taskbound.core.policy.PolicyException.class)
        .hasMessageStartingWith("spec.github.repositories '" + reaching + "' (" + dir.resolve("task.yml") + ":5)"
            + " reaches acme/.github, which holds the org ceiling (github:acme/.github/taskbound/ceiling.yml),"
            + " and spec.github.permissions (" + dir.resolve("task.yml") + ":6) grant " + writes + ":")
        .satisfies(e -> assertThat(((TaskboundException) e).exitCode()).isEqualTo(ExitCodes.POLICY));
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {
      "[acme/app]; {members: write}; members: write",
      "[acme/app]; {contents: write, organization_administration: write}; organization_administration: write",
      "[acme/app]; {organization_secrets: write}; organization_secrets: write",
      "[acme/app]; {organization_custom_roles: admin}; organization_custom_roles: admin",
      "[acme/app]; {organization_self_hosted_runners: write}; organization_self_hosted_runners: write"})
  void anOrganisationPermissionThatCouldGetTheCeilingWrittenIsRefusedWhateverTheRepositories(String repositories,
      String permissions, String named) throws IOException {
    EffectivePolicy policy = grant(repositories, permissions);

    assertThatThrownBy(() -> CeilingRepositoryGuard.check(policy, ACME))
        .isInstanceOf(dev.taskbound.core.policy.PolicyException.class)
        .hasMessage("spec.github.permissions (" + dir.resolve("task.yml") + ":6) grant " + named + " on acme, whose"
            + " .github repository holds the org ceiling (github:acme/.github/taskbound/ceiling.yml): with them the"
            + " agent could get the ceiling that binds it rewritten; accepted: read, or none");
  }

  @ParameterizedTest
  @CsvSource(delimiter = ';', value = {
      "[acme/*]; {contents: read, metadata: read}",
      "[acme/app, acme/lib]; {contents: write, administration: admin}",
      "[other/*]; {contents: write}",
      "[acme/.github-private]; {contents: write}",
      "[acme/app]; {members: read, organization_secrets: read}",
      "[acme/app]; {organization_projects: write, contents: write}",
      "[other/app]; {members: write}"})
  void readOnlyGrantsOtherPermissionsAndGrantsThatMissTheCeilingsRepositoryOrOwnerPass(String repositories,
      String permissions) throws IOException {
    EffectivePolicy policy = grant(repositories, permissions);

    assertThatCode(() -> CeilingRepositoryGuard.check(policy, ACME)).doesNotThrowAnyException();
  }

  @Test
  void aCeilingInALocalFileHasNoRepositoryToGuard() throws IOException {
    EffectivePolicy policy = grant("[acme/*]", "{contents: write}");

    assertThatCode(() -> CeilingRepositoryGuard.check(policy, Optional.empty())).doesNotThrowAnyException();
  }
}
