package dev.taskbound.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 11: the sandbox's policy fields ({@code sandbox.user}, {@code sandbox.paths.*}, {@code
 * sandbox.env.pass}, {@code sandbox.confinement}, {@code sandbox.allowReduced}) bind strictly and
 * narrow like every field: a Task may only stay within what the Ceiling allows.
 */
class ConfinementPolicyTest {
  private static final String HEAD = "apiVersion: taskbound.dev/v1\n";
  private static final String TASK = HEAD + "kind: Task\n";
  private static final String CEILING = HEAD + "kind: Ceiling\n";
  /** A Ceiling that allows some of everything. */
  private static final String ORG = CEILING + "spec:\n  sandbox:\n    user: '1001:1001'\n"
      + "    paths:\n      readOnly: [/opt/tools, '~/.m2/repository']\n"
      + "      readWrite: ['$WORKSPACE@tmp', /var/cache/build]\n      hide: [.git/config]\n"
      + "    env:\n      pass: [ANTHROPIC_API_KEY, GITHUB_REPOSITORY_URL]\n"
      + "    allowReduced: [user-namespace, seccomp]\n";

  @TempDir Path dir;

  static Stream<Arguments> rejected() {
    return Stream.of(
        Arguments.of("user below the Ceiling", ORG, TASK + "spec:\n  sandbox:\n    user: ci\n",
            "task.yml:5: spec.sandbox.user: only accepted in the Ceiling's spec; who the agent runs as is the"
                + " organisation's choice, so a profile or Task cannot set it"),
        Arguments.of("user not a user", CEILING + "spec:\n  sandbox:\n    user: 'Root Admin'\n", TASK,
            "org.yml:5: spec.sandbox.user: 'Root Admin' is not accepted; accepted: an account name such as ci, a uid"
                + " such as 1001, or uid:gid such as 1001:1001 (never root)"),
        Arguments.of("relative path", null, TASK + "spec:\n  sandbox:\n    paths:\n      readOnly: [tools]\n",
            "task.yml:6: spec.sandbox.paths.readOnly[0]: 'tools' is not accepted; accepted: " + PolicyPath.ACCEPTED),
        Arguments.of("'..' in a path", null,
            TASK + "spec:\n  sandbox:\n    paths:\n      readWrite: ['$WORKSPACE/../other']\n",
            "task.yml:6: spec.sandbox.paths.readWrite[0]: '$WORKSPACE/../other' contains '..'; accepted: "
                + PolicyPath.ACCEPTED),
        Arguments.of("read-only path outside the Ceiling's", ORG,
            TASK + "spec:\n  sandbox:\n    paths:\n      readOnly: [/etc]\n",
            "task.yml:6: spec.sandbox.paths.readOnly[0]: /etc widens the ceiling (it lies within no path of"
                + " org.yml:7: /opt/tools, ~/.m2/repository, $WORKSPACE@tmp, /var/cache/build; paths are compared as"
                + " written, so write it with the same root (/, ~ or $WORKSPACE))"),
        Arguments.of("a read-only path of the Ceiling asked read-write", ORG,
            TASK + "spec:\n  sandbox:\n    paths:\n      readWrite: [/opt/tools/bin]\n",
            "task.yml:6: spec.sandbox.paths.readWrite[0]: /opt/tools/bin widens the ceiling (it lies within no"
                + " read-write path of org.yml:8: $WORKSPACE@tmp, /var/cache/build; paths are compared as written, so"
                + " write it with the same root (/, ~ or $WORKSPACE))"),
        Arguments.of("the same place written from another root", ORG,
            TASK + "spec:\n  sandbox:\n    paths:\n      readOnly: [/root/.m2/repository]\n",
            "task.yml:6: spec.sandbox.paths.readOnly[0]: /root/.m2/repository widens the ceiling (it lies within no"
                + " path of org.yml:7: /opt/tools, ~/.m2/repository, $WORKSPACE@tmp, /var/cache/build; paths are"
                + " compared as written, so write it with the same root (/, ~ or $WORKSPACE))"),
        Arguments.of("$WORKSPACE does not cover its @tmp sibling", CEILING
                + "spec:\n  sandbox:\n    paths:\n      readWrite: ['$WORKSPACE']\n",
            TASK + "spec:\n  sandbox:\n    paths:\n      readWrite: ['$WORKSPACE@tmp']\n",
            "task.yml:6: spec.sandbox.paths.readWrite[0]: $WORKSPACE@tmp widens the ceiling (it lies within no"
                + " read-write path of org.yml:6: $WORKSPACE; paths are compared as written, so write it with the same"
                + " root (/, ~ or $WORKSPACE))"),
        Arguments.of("paths under a Ceiling that allows none", CEILING,
            TASK + "spec:\n  sandbox:\n    paths:\n      readWrite: [/srv]\n",
            "task.yml:6: spec.sandbox.paths.readWrite[0]: /srv widens the ceiling (built-in default under the"
                + " Ceiling at org.yml:1 allows no read-write paths)"),
        Arguments.of("hide outside the workspace", null, TASK + "spec:\n  sandbox:\n    paths:\n      hide: [/etc/passwd]\n",
            "task.yml:6: spec.sandbox.paths.hide[0]: '/etc/passwd' is not inside the workspace; accepted: a path inside"
                + " the workspace, relative to it (such as .git/config) or as $WORKSPACE/PATH, without '..'"),
        Arguments.of("hide the workspace itself", null, TASK + "spec:\n  sandbox:\n    paths:\n      hide: ['.']\n",
            "task.yml:6: spec.sandbox.paths.hide[0]: '.' is not inside the workspace; accepted: a path inside"
                + " the workspace, relative to it (such as .git/config) or as $WORKSPACE/PATH, without '..'"),
        Arguments.of("a variable the Ceiling does not pass", ORG,
            TASK + "spec:\n  sandbox:\n    env:\n      pass: [AWS_SECRET_ACCESS_KEY]\n",
            "task.yml:6: spec.sandbox.env.pass[0]: AWS_SECRET_ACCESS_KEY widens the ceiling (org.yml:11 passes"
                + " ANTHROPIC_API_KEY, GITHUB_REPOSITORY_URL)"),
        Arguments.of("Taskbound's own variable", null, TASK + "spec:\n  sandbox:\n    env:\n      pass: [TASKBOUND_GITHUB_APP_KEY]\n",
            "task.yml:6: spec.sandbox.env.pass[0]: TASKBOUND_GITHUB_APP_KEY is Taskbound's own host configuration and"
                + " never reaches the agent; accepted: any other variable"),
        Arguments.of("unknown key under env", null, TASK + "spec:\n  sandbox:\n    env:\n      passthrough: [X]\n",
            "task.yml:6: spec.sandbox.env.passthrough: unknown key; accepted: pass"),
        Arguments.of("reduced without a Ceiling", null, TASK + "spec:\n  sandbox:\n    confinement: reduced\n",
            "task.yml:5: spec.sandbox.confinement: reduced needs the Ceiling's permission, but there is no Ceiling;"
                + " accepted: full, or reduced under a Ceiling whose sandbox.allowReduced lists what may be off"
                + " (seccomp, user-namespace, unprivileged-user)"),
        Arguments.of("reduced under a Ceiling that allows nothing off", CEILING,
            TASK + "spec:\n  sandbox:\n    confinement: reduced\n",
            "task.yml:5: spec.sandbox.confinement: reduced needs the Ceiling's permission, but the Ceiling"
                + " (org.yml:1) sets no sandbox.allowReduced; accepted: full, or reduced under a Ceiling whose"
                + " sandbox.allowReduced lists what may be off (seccomp, user-namespace, unprivileged-user)"),
        Arguments.of("reduced below a Ceiling that asks for full", ORG + "    confinement: full\n",
            TASK + "spec:\n  sandbox:\n    confinement: reduced\n",
            "task.yml:5: spec.sandbox.confinement: reduced widens the ceiling (org.yml:13 asks for full)"),
        Arguments.of("allowReduced in a Task", ORG, TASK + "spec:\n  sandbox:\n    allowReduced: [seccomp]\n",
            "task.yml:5: spec.sandbox.allowReduced: only accepted in the Ceiling's spec; only the organisation may lower"
                + " its floor, so a profile or Task cannot set it"),
        Arguments.of("unknown protection", CEILING + "spec:\n  sandbox:\n    allowReduced: [apparmor]\n", TASK,
            "org.yml:5: spec.sandbox.allowReduced[0]: 'apparmor' is not accepted; accepted: seccomp, user-namespace,"
                + " unprivileged-user"),
        Arguments.of("bad confinement", null, TASK + "spec:\n  sandbox:\n    confinement: none\n",
            "task.yml:5: spec.sandbox.confinement: 'none' is not accepted; accepted: full, reduced"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rejected")
  void rejectsWithFileLineFieldAndWhatIsAccepted(String name, String org, String task, String expected)
      throws IOException {
    PolicyTables.assertRejected(dir, name, org, task, expected);
  }

  @Test
  void aTaskWithinTheCeilingGetsItsNarrowerValuesAndTheCeilingsUser() throws IOException {
    Path org = Files.writeString(dir.resolve("org.yml"), ORG);
    Path task = Files.writeString(dir.resolve("task.yml"), TASK + "spec:\n  sandbox:\n    paths:\n"
        + "      readOnly: [/opt/tools/jdk, '/var/cache/build/maven']\n      readWrite: ['$WORKSPACE@tmp/durable-1']\n"
        + "      hide: [secrets, '$WORKSPACE/.env']\n    env:\n      pass: [ANTHROPIC_API_KEY]\n"
        + "    confinement: reduced\n");

    EffectivePolicy p = PolicyResolver.resolve(List.of(org, task), Optional.empty());

    ConfinementPolicy c = p.confinement();
    assertThat(c.user()).contains("1001:1001");
    assertThat(c.readOnly()).extracting(PolicyPath::toString).containsExactly("/opt/tools/jdk", "/var/cache/build/maven");
    assertThat(c.readWrite()).extracting(PolicyPath::toString).containsExactly("$WORKSPACE@tmp/durable-1");
    assertThat(c.hide()).extracting(PolicyPath::toString)
        .as("hiding adds up: the Ceiling's .git/config stays hidden")
        .containsExactly("$WORKSPACE/.git/config", "$WORKSPACE/secrets", "$WORKSPACE/.env");
    assertThat(c.envPass()).containsExactly("ANTHROPIC_API_KEY");
    assertThat(c.mayGoWithout(Protection.USER_NAMESPACE)).isTrue();
    assertThat(c.mayGoWithout(Protection.SECCOMP)).isTrue();
    assertThat(c.mayGoWithout(Protection.UNPRIVILEGED_USER)).as("not in the Ceiling's allowReduced").isFalse();
    assertThat(p.provenanceOf("sandbox.paths.readWrite[0]")).contains(new Provenance(task.toString(), 7));
    assertThat(p.toCanonicalJson()).contains("\"sandbox\":{\"allowReduced\":[\"seccomp\",\"user-namespace\"],"
        + "\"confinement\":\"reduced\",\"envPass\":[\"ANTHROPIC_API_KEY\"],");
    assertThat(PolicyExplainer.render(p).replace(dir + "/", "")).contains(
        "sandbox.user: 1001:1001  (org.yml:5)\n",
        "sandbox.paths.readWrite:\n  - $WORKSPACE@tmp/durable-1  (task.yml:7)\n",
        "sandbox.confinement: reduced  (task.yml:11)\n");
  }

  /**
   * The most specific path decides: a read-only path within the (writable) workspace is a limit of
   * its own, and "readOnly: []" below it made .git and .github writable again.
   */
  @Test
  void aLowerLayerKeepsTheCeilingsReadOnlyPathsWithinWhatIsWritable() throws IOException {
    String org = CEILING + "spec:\n  sandbox:\n    paths:\n      readOnly: ['$WORKSPACE/.git', '$WORKSPACE/.github']\n"
        + "      readWrite: [/var/cache/build]\n";

    PolicyTables.assertRejected(dir, "dropped", org, TASK + "spec:\n  sandbox:\n    paths:\n      readOnly: []\n",
        "task.yml:6: spec.sandbox.paths.readOnly: leaving out $WORKSPACE/.git widens the ceiling (org.yml:6 keeps"
            + " $WORKSPACE/.git read-only within a writable path; accepted: name it, or a path above it, read-only)");
    PolicyTables.assertRejected(dir, "a part kept", org,
        TASK + "spec:\n  sandbox:\n    paths:\n      readOnly: ['$WORKSPACE/.git', '$WORKSPACE/.github/workflows']\n",
        "task.yml:6: spec.sandbox.paths.readOnly: leaving out $WORKSPACE/.github widens the ceiling (org.yml:6 keeps"
            + " $WORKSPACE/.github read-only within a writable path; accepted: name it, or a path above it, read-only)");
    EffectivePolicy restated = PolicyResolver.resolve(List.of(
        Files.writeString(dir.resolve("org.yml"), org),
        Files.writeString(dir.resolve("task.yml"), TASK + "spec:\n  sandbox:\n    paths:\n      readOnly: ['$WORKSPACE/.git',"
            + " '$WORKSPACE/.github']\n      readWrite: []\n")), Optional.empty());
    assertThat(restated.confinement().readOnly()).extracting(PolicyPath::toString)
        .containsExactly("$WORKSPACE/.git", "$WORKSPACE/.github");
  }

  @Test
  void withoutReducedNothingMayBeOffEvenWhenTheCeilingAllowsIt() throws IOException {
    Path org = Files.writeString(dir.resolve("org.yml"), ORG);

    EffectivePolicy p = PolicyResolver.resolve(List.of(org), Optional.empty());

    assertThat(p.confinement().level()).isEqualTo(ConfinementLevel.FULL);
    assertThat(p.confinement().reducible()).isEmpty();
    assertThat(p.confinement().mayGoWithout(Protection.SECCOMP)).isFalse();
  }

  @Test
  void aPolicyWithoutSandboxFieldsKeepsItsDigest() throws IOException {
    Path task = Files.writeString(dir.resolve("task.yml"), TASK + "spec:\n  ttl: 10m\n");

    EffectivePolicy p = PolicyResolver.resolve(List.of(task), Optional.empty());

    assertThat(p.confinement()).isEqualTo(ConfinementPolicy.DEFAULT);
    assertThat(p.toCanonicalJson()).doesNotContain("\"sandbox\"");
  }

  @Test
  void passEnvOnTheCommandLineOnlyNarrowsWhatThePolicyPasses() throws IOException {
    Path org = Files.writeString(dir.resolve("org.yml"), ORG);
    Path bare = Files.writeString(dir.resolve("task.yml"), TASK);
    EffectivePolicy ceiling = PolicyResolver.resolve(List.of(org), Optional.empty());
    EffectivePolicy builtIn = PolicyResolver.resolve(List.of(bare), Optional.empty());

    EffectivePolicy narrowed = ceiling.narrowEnvPass(List.of("ANTHROPIC_API_KEY"));
    PolicyException widened = catchThrowableOfType(() -> ceiling.narrowEnvPass(List.of("NPM_TOKEN")), PolicyException.class);
    EffectivePolicy open = builtIn.narrowEnvPass(List.of("NPM_TOKEN"));

    assertThat(ceiling.confinement().envPass()).containsExactly("ANTHROPIC_API_KEY", "GITHUB_REPOSITORY_URL");
    assertThat(narrowed.confinement().envPass()).containsExactly("ANTHROPIC_API_KEY");
    assertThat(widened.getMessage().replace(dir + "/", "")).isEqualTo("--pass-env NPM_TOKEN widens the policy"
        + " (org.yml:11 passes ANTHROPIC_API_KEY, GITHUB_REPOSITORY_URL); accepted: a name the policy lists in"
        + " sandbox.env.pass");
    assertThat(open.confinement().envPass()).as("the built-in default ceiling leaves the choice to the caller")
        .containsExactly("NPM_TOKEN");
  }

  static Stream<Arguments> paths() {
    return Stream.of(
        Arguments.of("/opt//tools/./bin/", "/opt/tools/bin", "/opt/tools/bin"),
        Arguments.of("~", "~", "/home/ci"),
        Arguments.of("~/.m2/repository", "~/.m2/repository", "/home/ci/.m2/repository"),
        Arguments.of("$WORKSPACE", "$WORKSPACE", "/work/ws"),
        Arguments.of("$WORKSPACE/build/", "$WORKSPACE/build", "/work/ws/build"),
        Arguments.of("$WORKSPACE@tmp/durable-1", "$WORKSPACE@tmp/durable-1", "/work/ws@tmp/durable-1"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void policyPathsCanonicaliseAndExpand(String written, String canonical, String expanded) {
    PolicyPath p = PolicyPath.parse(written);

    assertThat(p.toString()).isEqualTo(canonical);
    assertThat(PolicyPath.parse(p.toString())).isEqualTo(p);
    assertThat(p.expand(Path.of("/home/ci"), Path.of("/work/ws"))).isEqualTo(Path.of(expanded));
  }

  @Test
  void aPathIsWithinItsAncestorsOfTheSameRootOnly() {
    assertThat(PolicyPath.parse("/opt/tools/bin").isWithin(PolicyPath.parse("/opt/tools"))).isTrue();
    assertThat(PolicyPath.parse("/opt/toolsx").isWithin(PolicyPath.parse("/opt/tools"))).isFalse();
    assertThat(PolicyPath.parse("/anything").isWithin(PolicyPath.parse("/"))).isTrue();
    assertThat(PolicyPath.parse("~/x").isWithin(PolicyPath.parse("/"))).isFalse();
    assertThat(PolicyPath.parse("$WORKSPACE/x").isWithin(PolicyPath.parse("$WORKSPACE"))).isTrue();
    assertThat(PolicyPath.parse("$WORKSPACE@tmp").isWithin(PolicyPath.parse("$WORKSPACE"))).isFalse();
  }
}
