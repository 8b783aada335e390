package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.core.ExitCodes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 17: the repository's policy files under an org ceiling that came from GitHub. */
class OrgCeilingResolutionTest {
  static final String NAME = "github:acme/.github/taskbound/ceiling.yml@9f1c0ffee5e1";
  static final String ORG = String.join("\n",
      "apiVersion: taskbound.dev/v1",                // 1
      "kind: Ceiling",                               // 2
      "spec:",                                       // 3
      "  identity: {trustDomain: acme.dev}",         // 4
      "  ttl: 30m",                                  // 5
      "  egress:",                                   // 6
      "    allow: [api.github.com, '*.npmjs.org']",  // 7
      "  github:",                                   // 8
      "    repositories: [acme/*]",                  // 9
      "    permissions: {contents: read}",           // 10
      "profiles:",                                   // 11
      "  coding-agent: {ttl: 20m}",                  // 12
      "");

  @TempDir Path dir;

  private static PolicyText org(String text) {
    return new PolicyText(NAME, text.getBytes(StandardCharsets.UTF_8));
  }

  private Path file(String name, String... lines) throws IOException {
    return Files.writeString(dir.resolve(name), String.join("\n", lines) + "\n");
  }

  @Test
  void orgCeilingIsTheTopLayerAndNamesItsCommitInProvenance() throws IOException {
    Path task = file("task.yml", "apiVersion: taskbound.dev/v1", "kind: Task", "profile: coding-agent", "spec:",
        "  ttl: 10m", "  egress: {allow: [api.github.com]}");

    EffectivePolicy p = PolicyResolver.resolve(org(ORG), List.of(task), Optional.empty(), false);

    assertThat(p.ttl()).isEqualTo(Duration.ofMinutes(10));
    assertThat(p.trustDomain()).isEqualTo("acme.dev");
    assertThat(p.provenance().get("ceiling")).hasToString(NAME + ":1");
    assertThat(p.provenance().get("identity.trustDomain")).hasToString(NAME + ":4");
  }

  @Test
  void repositoryPolicyThatWidensTheOrgCeilingIsRefusedWithTheFieldAndBothValues() throws IOException {
    Path task = file("task.yml", "apiVersion: taskbound.dev/v1", "kind: Task", "spec:",
        "  github:", "    permissions: {contents: write}");

    assertThatThrownBy(() -> PolicyResolver.resolve(org(ORG), List.of(task), Optional.empty(), false))
        .isInstanceOf(PolicyException.class)
        .hasMessage(task + ":5: spec.github.permissions.contents: write widens the ceiling (" + NAME
            + ":10 allows at most read)");
  }

  @Test
  void repositoryCeilingUnderTheOrgCeilingIsRefusedWhenTheRunDidNotAskForIt() throws IOException {
    Path repo = file("ceiling.yml", "apiVersion: taskbound.dev/v1", "kind: Ceiling", "spec:", "  ttl: 8h");

    assertThatThrownBy(() -> PolicyResolver.resolve(org(ORG + "allowRepositoryCeiling: true\n"), List.of(repo),
        Optional.empty(), false))
        .isInstanceOf(PolicyException.class)
        .hasMessageStartingWith(repo + ":1: kind: a Ceiling, but the org ceiling " + NAME + ":1 applies;");
  }

  @Test
  void askingForTheRepositoryCeilingIsRefusedWhereTheOrgCeilingDoesNotAllowIt() throws IOException {
    Path task = file("task.yml", "apiVersion: taskbound.dev/v1", "kind: Task");

    assertThatThrownBy(() -> PolicyResolver.resolve(org(ORG), List.of(task), Optional.empty(), true))
        .isInstanceOf(PolicyException.class)
        .hasMessageStartingWith("ceiling: repository is refused: the org ceiling " + NAME + ":1 does not set"
            + " allowRepositoryCeiling;")
        .satisfies(e -> assertThat(((PolicyException) e).exitCode()).isEqualTo(ExitCodes.POLICY));
    assertThatThrownBy(() -> PolicyResolver.resolve(org(ORG + "allowRepositoryCeiling: false\n"), List.of(task),
        Optional.empty(), true))
        .hasMessageContaining("sets allowRepositoryCeiling: false (" + NAME + ":13)");
  }

  @Test
  void allowedRepositoryCeilingNarrowsTheOrgCeilingAndCannotWidenIt() throws IOException {
    PolicyText allowing = org(ORG + "allowRepositoryCeiling: true\n");
    Path narrower = file("ceiling.yml", "apiVersion: taskbound.dev/v1", "kind: Ceiling", "spec:", "  ttl: 15m",
        "profiles:", "  fast: {ttl: 5m}");
    Path wider = file("wide.yml", "apiVersion: taskbound.dev/v1", "kind: Ceiling", "spec:", "  ttl: 2h");
    Path otherDomain = file("domain.yml", "apiVersion: taskbound.dev/v1", "kind: Ceiling", "spec:",
        "  identity: {trustDomain: evil.dev}");

    EffectivePolicy p = PolicyResolver.resolve(allowing, List.of(narrower), Optional.of("fast"), true);

    assertThat(p.ttl()).isEqualTo(Duration.ofMinutes(5));
    assertThatThrownBy(() -> PolicyResolver.resolve(allowing, List.of(narrower), Optional.of("coding-agent"), true))
        .hasMessage(NAME + ":12: profiles.coding-agent.ttl: 20m widens the ceiling (" + narrower + ":4 allows at most"
            + " 15m)");
    assertThatThrownBy(() -> PolicyResolver.resolve(allowing, List.of(wider), Optional.empty(), true))
        .hasMessage(wider + ":4: spec.ttl: 2h widens the ceiling (" + NAME + ":5 allows at most 30m)");
    assertThatThrownBy(() -> PolicyResolver.resolve(allowing, List.of(otherDomain), Optional.empty(), true))
        .hasMessage(otherDomain + ":4: spec.identity.trustDomain: evil.dev widens the ceiling (" + NAME
            + ":4 sets acme.dev); accepted: the org's trust domain or none");
  }

  /** Each was copied from a repository Ceiling unchecked: another user, reduced confinement, the repository's own signer. */
  @Test
  void aRepositoryCeilingCannotSetWhoTheAgentIsWhatMayBeReducedOrWhoSignsTheEvidence() throws IOException {
    PolicyText allowing = org(ORG + "allowRepositoryCeiling: true\n");
    Path user = file("user.yml", "apiVersion: taskbound.dev/v1", "kind: Ceiling", "spec:", "  sandbox: {user: runner}");
    Path reduced = file("reduced.yml", "apiVersion: taskbound.dev/v1", "kind: Ceiling", "spec:",
        "  sandbox: {allowReduced: [seccomp], confinement: reduced}");
    Path signer = file("signer.yml", "apiVersion: taskbound.dev/v1", "kind: Ceiling", "spec:",
        "  evidence: {signer: {vault-transit: {mount: transit-team, key: repo-owned}}}");

    for (Path repo : List.of(user, reduced, signer)) {
      assertThatThrownBy(() -> PolicyResolver.resolve(allowing, List.of(repo), Optional.empty(), true)).as(repo.toString())
          .isInstanceOf(PolicyException.class)
          .hasMessageStartingWith(repo + ":4: ")
          .hasMessageContaining("set in a repository Ceiling, but it is the org ceiling's to set (" + NAME + ":1)");
    }
  }

  /** The org picked its audience: a repository Ceiling listing another of the org's audiences re-opened it. */
  @Test
  void aRepositoryCeilingCannotReopenAnAudienceTheOrgNarrowed() throws IOException {
    PolicyText picked = org(ORG.replace("  identity: {trustDomain: acme.dev}",
        "  identity: {trustDomain: acme.dev, audience: taskbound, audiences: [taskbound, vault.acme.dev]}")
        + "allowRepositoryCeiling: true\n");
    Path reopen = file("reopen.yml", "apiVersion: taskbound.dev/v1", "kind: Ceiling", "spec:",
        "  identity: {audiences: [vault.acme.dev]}");
    Path repeat = file("repeat.yml", "apiVersion: taskbound.dev/v1", "kind: Ceiling", "spec:",
        "  identity: {audiences: [taskbound]}");

    assertThatThrownBy(() -> PolicyResolver.resolve(picked, List.of(reopen), Optional.empty(), true))
        .hasMessageStartingWith(reopen + ":4: spec.identity.audiences[0]: vault.acme.dev widens the ceiling");
    assertThat(PolicyResolver.resolve(picked, List.of(repeat), Optional.empty(), true).audience()).isEqualTo("taskbound");
  }

  @Test
  void orgCeilingMustBeOneCeilingDocumentAndFollowsTheFileLimits() {
    String task = "apiVersion: taskbound.dev/v1\nkind: Task\n";
    byte[] huge = new byte[(int) PolicyText.MAX_BYTES + 1];

    assertThatThrownBy(() -> PolicyResolver.resolve(org(task), List.of(), Optional.empty(), false))
        .hasMessage(NAME + ":1: kind: Task in the org ceiling; accepted: exactly one Ceiling document");
    assertThatThrownBy(() -> PolicyResolver.resolve(new PolicyText(NAME, huge), List.of(), Optional.empty(), false))
        .hasMessage(NAME + ": larger than 1048576 bytes; policy files are small");
    assertThatThrownBy(() -> PolicyResolver.resolve(new PolicyText(NAME, new byte[] {(byte) 0xff}), List.of(),
        Optional.empty(), false))
        .hasMessage(NAME + ": not UTF-8 text");
  }

  @Test
  void allowRepositoryCeilingIsACeilingOnlyBoolean() throws IOException {
    Path task = file("task.yml", "apiVersion: taskbound.dev/v1", "kind: Task", "allowRepositoryCeiling: true");

    assertThatThrownBy(() -> PolicyResolver.check(task))
        .hasMessage(task + ":3: allowRepositoryCeiling: only accepted in a Ceiling, not in kind: Task");
    assertThatThrownBy(() -> PolicyResolver.check(org(ORG + "allowRepositoryCeiling: yes\n")))
        .hasMessageStartingWith(NAME + ":13: allowRepositoryCeiling: expected true or false, got the string 'yes'");
  }

  @Test
  void repositoryCeilingOptionWithoutAGithubCeilingIsAUsageErrorAndAGithubCeilingNeedsAnApp() throws IOException {
    Path task = file("task.yml", "apiVersion: taskbound.dev/v1", "kind: Task");
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    java.io.StringWriter err2 = new java.io.StringWriter();

    int usage = dev.taskbound.core.cli.TaskboundCli.execute(new String[] {"policy", "check", "--repository-ceiling",
        task.toString()}, new java.io.PrintWriter(out), new java.io.PrintWriter(err), java.util.Map.of());
    int noApp = dev.taskbound.core.cli.TaskboundCli.execute(new String[] {"policy", "explain", "--ceiling",
        "github:acme/.github/taskbound/ceiling.yml", task.toString()}, new java.io.PrintWriter(out),
        new java.io.PrintWriter(err2), java.util.Map.of());

    assertThat(usage).as(err.toString()).isEqualTo(ExitCodes.USAGE);
    assertThat(err.toString()).contains("--repository-ceiling: only with --ceiling github:OWNER/.github/taskbound/ceiling.yml");
    assertThat(noApp).as(err2.toString()).isEqualTo(ExitCodes.CREDENTIALS);
    assertThat(err2.toString()).contains("read the org ceiling github:acme/.github/taskbound/ceiling.yml failed")
        .contains("no GitHub App is configured");
  }

  @Test
  void githubLocationsParseStrictlyAndRoundTrip() {
    GithubPolicyLocation l = GithubPolicyLocation.parse("github:acme/.github/taskbound/ceiling.yml");

    assertThat(l.owner()).isEqualTo("acme");
    assertThat(l.fullRepository()).isEqualTo("acme/.github");
    assertThat(l.path()).isEqualTo("taskbound/ceiling.yml");
    assertThat(l).hasToString("github:acme/.github/taskbound/ceiling.yml").isEqualTo(GithubPolicyLocation.orgCeiling("acme"));
    for (String bad : List.of("github:acme/.github", "github:-acme/.github/c.yml", "github:acme/.github/../c.yml",
        "github:acme/.github/taskbound/ceiling.json", "github:acme/.github//c.yml", "github:acme/a b/c.yml")) {
      assertThatThrownBy(() -> GithubPolicyLocation.parse(bad)).as(bad)
          .isInstanceOf(PolicyException.class).hasMessageContaining("accepted: github:OWNER/.github/taskbound/ceiling.yml");
    }
  }
}
