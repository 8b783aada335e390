package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.taskbound.core.egress.EgressRule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyResolverTest {
  private static final String ORG = String.join("\n",
      "apiVersion: taskbound.dev/v1",                  // 1
      "kind: Ceiling",                                 // 2
      "spec:",                                         // 3
      "  identity:",                                   // 4
      "    trustDomain: acme.dev",                     // 5
      "    audiences: [taskbound, vault]",             // 6
      "  ttl: 4h",                                     // 7
      "  sandbox:",                                    // 8
      "    backends: [netns, container, proxy]",       // 9
      "    enforcement: cooperative",                  // 10
      "  egress:",                                     // 11
      "    allow: ['**.github.com', '*.npmjs.org']",   // 12
      "    deny: [gist.github.com]",                   // 13
      "    hosts: {api.demo.test: 127.0.0.1}",         // 14
      "  github:",                                     // 15
      "    repositories: [acme/*]",                    // 16
      "    permissions: {contents: write, issues: read}", // 17
      "  gate:",                                       // 18
      "    rules:",                                    // 19
      "      - {action: 'git.*', decision: approve}",  // 20
      "profiles:",                                     // 21
      "  coding-agent:",                               // 22
      "    ttl: 2h",                                   // 23
      "    sandbox:",                                  // 24
      "      enforcement: strict",                     // 25
      "    egress:",                                   // 26
      "      deny: [evil.npmjs.org]",                  // 27
      "");

  private static final String TASK = String.join("\n",
      "apiVersion: taskbound.dev/v1",                  // 1
      "kind: Task",                                    // 2
      "profile: coding-agent",                         // 3
      "spec:",                                         // 4
      "  identity: {audience: vault}",                 // 5
      "  ttl: 30m",                                    // 6
      "  egress:",                                     // 7
      "    allow: [api.github.com, registry.npmjs.org]", // 8
      "    deny: [uploads.github.com]",                // 9
      "  github:",                                     // 10
      "    repositories: [acme/app]",                  // 11
      "    permissions: {contents: read}",             // 12
      "  gate:",                                       // 13
      "    rules:",                                    // 14
      "      - {action: git.push, decision: deny}",    // 15
      "");

  @TempDir Path dir;

  @Test
  void mergesCeilingProfileAndTaskWithProvenance() throws IOException {
    Path org = write("org.yml", ORG);
    Path task = write("task.yml", TASK);

    EffectivePolicy p = PolicyResolver.resolve(List.of(org, task), Optional.empty());

    assertThat(p.trustDomain()).isEqualTo("acme.dev");
    assertThat(p.audience()).isEqualTo("vault");
    assertThat(p.ttl()).isEqualTo(Duration.ofMinutes(30));
    assertThat(p.profile()).contains("coding-agent");
    assertThat(p.enforcement()).isEqualTo(Enforcement.STRICT);
    assertThat(p.backends()).containsExactly(SandboxBackend.NETNS, SandboxBackend.CONTAINER);
    assertThat(p.allow()).containsExactly(EgressRule.parse("api.github.com"), EgressRule.parse("registry.npmjs.org"));
    assertThat(p.hosts()).containsExactly(entry("api.demo.test", "127.0.0.1"));
    assertThat(p.repositories()).containsExactly("acme/app");
    assertThat(p.permissions()).containsExactly(entry("contents", Permission.READ));
    assertThat(p.gateRules()).containsExactly(
        new GateRule("git.*", GateDecision.APPROVE), new GateRule("git.push", GateDecision.DENY));
    assertThat(p.provenance()).contains(
        entry("ceiling", new Provenance(org.toString(), 1)),
        entry("identity.trustDomain", new Provenance(org.toString(), 5)),
        entry("identity.audience", new Provenance(task.toString(), 5)),
        entry("ttl", new Provenance(task.toString(), 6)),
        entry("profile", new Provenance(task.toString(), 3)),
        entry("sandbox.enforcement", new Provenance(org.toString(), 25)),
        entry("sandbox.backends", new Provenance(org.toString(), 9)),
        entry("egress.allow[1]", new Provenance(task.toString(), 8)),
        entry("egress.hosts[api.demo.test]", new Provenance(org.toString(), 14)),
        entry("github.permissions.contents", new Provenance(task.toString(), 12)),
        entry("gate.rules[0]", new Provenance(org.toString(), 20)),
        entry("gate.rules[1]", new Provenance(task.toString(), 15)));
  }

  @Test
  void unionsDeniesAcrossAllLayers() throws IOException {
    Path org = write("org.yml", ORG);
    Path task = write("task.yml", TASK);

    EffectivePolicy p = PolicyResolver.resolve(List.of(org, task), Optional.empty());

    assertThat(p.deny()).containsExactly(EgressRule.parse("gist.github.com"), EgressRule.parse("evil.npmjs.org"),
        EgressRule.parse("uploads.github.com"));
    assertThat(p.provenance()).contains(
        entry("egress.deny[0]", new Provenance(org.toString(), 13)),
        entry("egress.deny[1]", new Provenance(org.toString(), 27)),
        entry("egress.deny[2]", new Provenance(task.toString(), 9)));
  }

  @Test
  void inheritsWhatLowerLayersOmit() throws IOException {
    Path org = write("org.yml", ORG);
    Path task = write("task.yml", "apiVersion: taskbound.dev/v1\nkind: Task\n");

    EffectivePolicy p = PolicyResolver.resolve(List.of(org, task), Optional.of("coding-agent"));

    assertThat(p.ttl()).isEqualTo(Duration.ofHours(2));
    assertThat(p.provenanceOf("ttl")).contains(new Provenance(org.toString(), 23));
    assertThat(p.audience()).isEqualTo("taskbound");
    assertThat(p.allow()).containsExactly(EgressRule.parse("**.github.com"), EgressRule.parse("*.npmjs.org"));
    assertThat(p.repositories()).containsExactly("acme/*");
    assertThat(p.permissions()).containsExactly(entry("contents", Permission.WRITE), entry("issues", Permission.READ));
    assertThat(p.provenanceOf("profile")).contains(Provenance.commandLine("--profile"));
  }

  @Test
  void dropsInheritedProxyWhenALayerAsksForStrict() throws IOException {
    Path org = write("org.yml", ORG);

    EffectivePolicy p = PolicyResolver.resolve(List.of(org), Optional.of("coding-agent"));

    assertThat(p.backends()).doesNotContain(SandboxBackend.PROXY);
    assertThat(p.backend()).isEqualTo(SandboxBackend.NETNS);
  }

  @Test
  void profileOverrideWinsOverTheTasksProfile() throws IOException {
    Path org = write("org.yml", ORG + "  other:\n    ttl: 5m\n");
    Path task = write("task.yml", "apiVersion: taskbound.dev/v1\nkind: Task\nprofile: coding-agent\n");

    EffectivePolicy p = PolicyResolver.resolve(List.of(org, task), Optional.of("other"));

    assertThat(p.profile()).contains("other");
    assertThat(p.ttl()).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void appliesTheBuiltInDefaultCeilingWithoutFiles() {
    EffectivePolicy p = PolicyResolver.resolve(List.of(), Optional.empty());

    assertThat(p.trustDomain()).isEqualTo("taskbound.local");
    assertThat(p.audience()).isEqualTo("taskbound");
    assertThat(p.ttl()).isEqualTo(Duration.ofHours(1));
    assertThat(p.backends()).containsExactly(SandboxBackend.NETNS, SandboxBackend.CONTAINER);
    assertThat(p.enforcement()).isEqualTo(Enforcement.STRICT);
    assertThat(p.allow()).isEmpty();
    assertThat(p.provenanceOf("ttl")).contains(Provenance.BUILT_IN);
    assertThat(Provenance.BUILT_IN).hasToString("built-in default");
  }

  @Test
  void letsATaskUnderTheBuiltInCeilingAllowAnyRuleAndPin() throws IOException {
    Path task = write("task.yml", "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  ttl: 8h\n"
        + "  sandbox: {backends: [proxy], enforcement: cooperative}\n"
        + "  egress:\n    allow: ['**.example.com:8443', '[::1]:9000']\n    hosts: {api.demo.test: '::ffff:127.0.0.1'}\n");

    EffectivePolicy p = PolicyResolver.resolve(List.of(task), Optional.empty());

    assertThat(p.ttl()).isEqualTo(Duration.ofHours(8));
    assertThat(p.backends()).containsExactly(SandboxBackend.PROXY);
    assertThat(p.allow()).hasSize(2);
    assertThat(p.hosts()).containsExactly(entry("api.demo.test", "127.0.0.1"));
  }

  @Test
  void acceptsAPinTheCeilingSetsIdentically() throws IOException {
    Path org = write("org.yml", ORG);
    Path task = write("task.yml", "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  egress:\n"
        + "    hosts: {API.Demo.Test.: 127.0.0.1}\n");

    EffectivePolicy p = PolicyResolver.resolve(List.of(org, task), Optional.empty());

    assertThat(p.hosts()).containsExactly(entry("api.demo.test", "127.0.0.1"));
    assertThat(p.provenanceOf("egress.hosts[api.demo.test]")).contains(new Provenance(task.toString(), 5));
  }

  /** Review finding: {@code hosts: {}} (or naming only some pins) dropped the ceiling's pins, sending the names to public DNS. */
  @Test
  void aTaskCannotDropAPinTheCeilingSets() throws IOException {
    Path org = write("org.yml", ORG.replace("    hosts: {api.demo.test: 127.0.0.1}",
        "    hosts: {api.demo.test: 127.0.0.1, registry.demo.test: 127.0.0.2}"));
    Path none = write("none.yml", "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  egress:\n    hosts: {}\n");
    Path some = write("some.yml", "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  egress:\n"
        + "    hosts: {REGISTRY.demo.test.: '::ffff:127.0.0.2'}\n");

    EffectivePolicy empty = PolicyResolver.resolve(List.of(org, none), Optional.empty());
    EffectivePolicy partial = PolicyResolver.resolve(List.of(org, some), Optional.empty());

    assertThat(empty.hosts()).containsOnly(entry("api.demo.test", "127.0.0.1"), entry("registry.demo.test", "127.0.0.2"));
    assertThat(partial.hosts()).containsOnly(entry("api.demo.test", "127.0.0.1"), entry("registry.demo.test", "127.0.0.2"));
    assertThat(partial.provenanceOf("egress.hosts[api.demo.test]")).contains(new Provenance(org.toString(), 14));
  }

  @Test
  void readsSeveralDocumentsFromOneFile() throws IOException {
    Path both = write("both.yml", ORG + "---\n" + TASK);

    EffectivePolicy p = PolicyResolver.resolve(List.of(both), Optional.empty());

    assertThat(p.ttl()).isEqualTo(Duration.ofMinutes(30));
    assertThat(p.provenanceOf("ttl")).contains(new Provenance(both.toString(), 28 + 6));
  }

  @Test
  void keepsTheDigestAcrossKeyOrderAndFileLayout() throws IOException {
    Path reordered = write("reordered.yml", String.join("\n",
        "kind: Task",
        "spec:",
        "  github:",
        "    permissions: {contents: read}",
        "    repositories: [acme/app]",
        "  egress:",
        "    deny: [uploads.github.com]",
        "    allow: [registry.npmjs.org, api.github.com]",
        "  ttl: 30m",
        "  gate:",
        "    rules:",
        "      - {decision: deny, action: git.push}",
        "  identity: {audience: vault}",
        "profile: coding-agent",
        "apiVersion: taskbound.dev/v1",
        ""));
    Path org = write("org.yml", ORG);
    Path task = write("task.yml", TASK);

    EffectivePolicy a = PolicyResolver.resolve(List.of(org, task), Optional.empty());
    EffectivePolicy b = PolicyResolver.resolve(List.of(org, reordered), Optional.empty());

    assertThat(b.toCanonicalJson()).isEqualTo(a.toCanonicalJson());
    assertThat(b.digest()).isEqualTo(a.digest()).matches("sha256:[0-9a-f]{64}");
  }

  @Test
  void changesTheDigestWhenAValueChanges() throws IOException {
    Path org = write("org.yml", ORG);
    Path task = write("task.yml", TASK);
    Path changed = write("changed.yml", TASK.replace("ttl: 30m", "ttl: 31m"));

    String before = PolicyResolver.resolve(List.of(org, task), Optional.empty()).digest();
    String after = PolicyResolver.resolve(List.of(org, changed), Optional.empty()).digest();

    assertThat(after).isNotEqualTo(before);
  }

  @Test
  void writesCanonicalJsonWithSortedKeys() throws IOException {
    Path task = write("task.yml", "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  ttl: 90s\n"
        + "  egress: {allow: [b.example.com, a.example.com]}\n");

    String json = PolicyResolver.resolve(List.of(task), Optional.empty()).toCanonicalJson();

    assertThat(json).isEqualTo("{\"allow\":[\"a.example.com:443\",\"b.example.com:443\"],"
        + "\"apiVersion\":\"taskbound.dev/v1\",\"audience\":\"taskbound\",\"backends\":[\"netns\",\"container\"],"
        + "\"deny\":[],\"enforcement\":\"strict\",\"gateRules\":[],\"hosts\":{},\"permissions\":{},"
        + "\"profile\":null,\"repositories\":[],\"trustDomain\":\"taskbound.local\",\"ttl\":\"1m30s\","
        + "\"ttlSeconds\":90}");
  }

  @Test
  void narrowsSandboxLimitsBelowTheCeilingAndRecordsThemInTheDigest() throws IOException {
    Path org = write("org.yml", "apiVersion: taskbound.dev/v1\nkind: Ceiling\nspec:\n"
        + "  sandbox: {limits: {pids: 1024, memory: 4Gi}}\n");
    Path task = write("task.yml", "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
        + "  sandbox:\n    limits: {memory: 512Mi}\n");

    EffectivePolicy ceilingOnly = PolicyResolver.resolve(List.of(org), Optional.empty());
    EffectivePolicy p = PolicyResolver.resolve(List.of(org, task), Optional.empty());

    assertThat(p.limits().pids()).hasValue(1024);
    assertThat(p.limits().memoryBytes()).hasValue(512L << 20);
    assertThat(p.provenanceOf("sandbox.limits.pids")).contains(new Provenance(org.toString(), 4));
    assertThat(p.provenanceOf("sandbox.limits.memory")).contains(new Provenance(task.toString(), 5));
    assertThat(p.toCanonicalJson()).contains("\"limits\":{\"memoryBytes\":536870912,\"pids\":1024}");
    assertThat(p.digest()).isNotEqualTo(ceilingOnly.digest());
    assertThat(PolicyExplainer.render(p)).contains("sandbox.limits.pids: 1024  (" + org + ":4)\n",
        "sandbox.limits.memory: 512Mi  (" + task + ":5)\n");
  }

  @Test
  void aTaskMayNameTheContainerRuntimeTheCeilingNamesAndItIsRecordedInTheDigest() throws IOException {
    Path org = write("org.yml", "apiVersion: taskbound.dev/v1\nkind: Ceiling\nspec:\n"
        + "  sandbox: {container: {runtime: runsc}}\n");
    Path task = write("task.yml", "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n"
        + "  sandbox:\n    container: {runtime: runsc}\n");

    EffectivePolicy p = PolicyResolver.resolve(List.of(org, task), Optional.empty());
    EffectivePolicy none = PolicyResolver.resolve(List.of(), Optional.empty());

    assertThat(p.containerRuntime()).hasValue("runsc");
    assertThat(p.provenanceOf("sandbox.container.runtime")).contains(new Provenance(task.toString(), 5));
    assertThat(p.toCanonicalJson()).contains("\"containerRuntime\":\"runsc\"");
    assertThat(PolicyExplainer.render(p)).contains("sandbox.container.runtime: runsc  (" + task + ":5)\n");
    assertThat(none.containerRuntime()).isEmpty();
    assertThat(none.toCanonicalJson()).doesNotContain("containerRuntime");
    assertThat(PolicyExplainer.render(none)).doesNotContain("sandbox.container.runtime");
  }

  @Test
  void defaultsToFourThousandPidsAndNoMemoryLimitWithoutAffectingTheDigest() {
    EffectivePolicy p = PolicyResolver.resolve(List.of(), Optional.empty());

    assertThat(p.limits()).isEqualTo(SandboxLimits.DEFAULT);
    assertThat(p.limits().pids()).hasValue(4096);
    assertThat(p.limits().memoryBytes()).isEmpty();
    assertThat(p.toCanonicalJson()).doesNotContain("limits");
  }

  @Test
  void parsesAndFormatsMemorySizesInBinaryUnits() {
    assertThat(SandboxLimits.parseMemory("512Mi")).hasValue(512L << 20);
    assertThat(SandboxLimits.parseMemory("2Gi")).hasValue(2L << 30);
    assertThat(SandboxLimits.parseMemory("1Ti")).hasValue(1L << 40);
    assertThat(SandboxLimits.parseMemory("65536Ki")).hasValue(64L << 20);
    assertThat(SandboxLimits.parseMemory("63Mi")).isEmpty();
    assertThat(SandboxLimits.parseMemory("1025Gi")).isEmpty();
    assertThat(SandboxLimits.parseMemory("9999999999999Ti")).isEmpty();
    assertThat(SandboxLimits.parseMemory("512MB")).isEmpty();
    assertThat(SandboxLimits.formatMemory(512L << 20)).isEqualTo("512Mi");
    assertThat(SandboxLimits.formatMemory(2L << 30)).isEqualTo("2Gi");
    assertThat(SandboxLimits.formatMemory(1536L << 20)).isEqualTo("1536Mi");
  }

  @Test
  void narrowsTtlFromTheCommandLine() throws IOException {
    Path task = write("task.yml", "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  ttl: 10m\n");
    EffectivePolicy p = PolicyResolver.resolve(List.of(task), Optional.empty());

    EffectivePolicy narrowed = p.narrowTtl(Duration.ofMinutes(5));

    assertThat(narrowed.ttl()).isEqualTo(Duration.ofMinutes(5));
    assertThat(narrowed.provenanceOf("ttl")).contains(Provenance.commandLine("--ttl"));
    assertThat(narrowed.digest()).isNotEqualTo(p.digest());
    assertThatThrownBy(() -> p.narrowTtl(Duration.ofHours(3)))
        .isInstanceOf(PolicyException.class)
        .hasMessage("--ttl 3h widens the policy (" + task + ":4 allows at most 10m)");
  }

  @Test
  void allowsTtlUpToTheBuiltInMaximumWhenNothingSetIt() {
    EffectivePolicy p = PolicyResolver.resolve(List.of(), Optional.empty());

    assertThat(p.narrowTtl(Duration.ofHours(8)).ttl()).isEqualTo(Duration.ofHours(8));
    assertThatThrownBy(() -> p.narrowTtl(Duration.ofHours(9)))
        .isInstanceOf(PolicyException.class)
        .hasMessage("--ttl 9h widens the policy (built-in default allows at most 8h)");
  }

  @Test
  void narrowsBackendFromTheCommandLine() throws IOException {
    Path task = write("task.yml", "apiVersion: taskbound.dev/v1\nkind: Task\nspec:\n  sandbox: {backends: [netns]}\n");
    EffectivePolicy p = PolicyResolver.resolve(List.of(task), Optional.empty());

    assertThat(p.narrowBackend(SandboxBackend.NETNS).backends()).containsExactly(SandboxBackend.NETNS);
    assertThatThrownBy(() -> p.narrowBackend(SandboxBackend.CONTAINER))
        .isInstanceOf(PolicyException.class)
        .hasMessage("--sandbox container widens the policy (" + task + ":4 allows netns)");
    assertThatThrownBy(() -> PolicyResolver.resolve(List.of(), Optional.empty()).narrowBackend(SandboxBackend.PROXY))
        .isInstanceOf(PolicyException.class)
        .hasMessage("--sandbox proxy requires enforcement: cooperative, but enforcement is strict (built-in"
            + " default); accepted: netns, container");
  }

  @Test
  void refusesToChooseABackendOutsideTheList() {
    EffectivePolicy p = PolicyResolver.resolve(List.of(), Optional.empty());

    assertThat(p.withBackend(SandboxBackend.CONTAINER).backend()).isEqualTo(SandboxBackend.CONTAINER);
    assertThatThrownBy(() -> p.withBackend(SandboxBackend.PROXY)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void resolvesTheExamplesTogether() {
    Path examples = Path.of(System.getProperty("taskbound.repo.root"), "examples", "policies");

    EffectivePolicy p = PolicyResolver.resolve(
        List.of(examples.resolve("org-ceiling.yml"), examples.resolve("task-fix-bug.yml")), Optional.empty());
    EffectivePolicy demo = PolicyResolver.resolve(List.of(examples.resolve("demo.yml")), Optional.empty());

    assertThat(p.profile()).contains("coding-agent");
    assertThat(p.trustDomain()).isEqualTo("acme.dev");
    assertThat(demo.hosts()).containsExactly(entry("api.demo.test", "127.0.0.1"));
    assertThat(demo.backends()).containsExactly(SandboxBackend.NETNS);
    assertThat(demo.ttl()).isEqualTo(Duration.ofMinutes(10));
    assertThat(demo.ruleSet().decide("api.demo.test", 18080).allowed()).isTrue();
  }

  private Path write(String name, String text) throws IOException {
    return Files.writeString(dir.resolve(name), text);
  }
}
