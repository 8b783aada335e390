package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.policy.Protection;
import dev.taskbound.core.testing.AgentOwner;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11 item 7: a host that cannot give the agent its own user namespace stops the run (121)
 * unless the launch may go without it ({@code sandbox.confinement: reduced} within the Ceiling's
 * {@code allowReduced}); then the agent runs as its unprivileged user with no capability and
 * {@code no_new_privs}, and the sandbox reports what was off. The host's refusal is a sysctl
 * directory that says {@code user.max_user_namespaces = 0} (the real sysctl is never touched).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReducedConfinementTest {
  @TempDir Path dir;
  Path workspace;
  NetnsSandbox noUserNamespaces;

  @BeforeEach
  void hostWithoutUserNamespaces() throws Exception {
    assumeThat(AgentOwner.root()).as("the reduced mode exists for a root Taskbound").isTrue();
    workspace = AgentOwner.own(Files.createDirectories(dir.resolve("ws")));
    Files.createDirectories(dir.resolve("run"));
    Path sysctls = Files.createDirectories(dir.resolve("sys/user"));
    Files.writeString(sysctls.resolve("max_user_namespaces"), "0\n");
    noUserNamespaces = new NetnsSandbox(SandboxTools.defaultSearchPath(System.getenv("PATH")), NetnsSandbox.MASKED_BY_DEFAULT,
        InitCommand.current(), dir.resolve("sys"));
  }

  private SandboxLaunch launch(Confinement confinement, String script) {
    return new SandboxLaunch(List.of("/bin/sh", "-c", script), workspace, Map.of("PATH", "/usr/bin:/bin"),
        dir.resolve("run/gateway.sock"), List.of(), Duration.ofSeconds(30),
        new SandboxIo(Redirect.from(Path.of("/dev/null").toFile()), Redirect.to(dir.resolve("out").toFile()),
            Redirect.to(dir.resolve("err").toFile())))
        .withConfinement(confinement);
  }

  @Test
  void withoutReducedAHostWithoutUserNamespacesStopsTheRunNamingTheOptions() {
    SandboxException e = catchThrowableOfType(
        () -> noUserNamespaces.start(launch(Confinement.DEFAULT, "touch started")), SandboxException.class);

    assertThat(e.exitCode()).isEqualTo(ExitCodes.SANDBOX);
    assertThat(e.getMessage())
        .startsWith("the netns sandbox cannot be created: user namespaces are disabled on this host")
        .contains("'sandbox.confinement: reduced'", "sandbox.allowReduced: [user-namespace]", "use the container backend");
    assertThat(workspace.resolve("started")).doesNotExist();
  }

  /**
   * The open's preflight (a session's, before any credential counts) lets a reduced launch through
   * where the start would run it without the user namespace, and stops a full one: before, it ran
   * the strict probe for both, so no session could reach the reduced launch on such a host.
   */
  @Test
  void theOpensPreflightLetsAReducedLaunchThroughWhereTheStartWouldRunItWithoutTheUserNamespace() {
    String tools = SandboxTools.defaultSearchPath(System.getenv("PATH"));
    Path sysctls = dir.resolve("sys");

    assertThatCode(() -> NetnsSandbox.preflight(reducedMayGoWithout(Protection.USER_NAMESPACE), tools, sysctls, true))
        .doesNotThrowAnyException();
    SandboxException full = catchThrowableOfType(
        () -> NetnsSandbox.preflight(Confinement.DEFAULT, tools, sysctls, true), SandboxException.class);
    assertThat(full.getMessage()).startsWith("the netns sandbox cannot be created: user namespaces are disabled on this host");
  }

  @Test
  void reducedRunsTheAgentUnprivilegedWithoutItsUserNamespaceAndSaysSo() throws Exception {
    Confinement reduced = new Confinement(Optional.empty(), List.of(), List.of(),
        dev.taskbound.core.policy.SandboxLimits.DEFAULT, List.of(Protection.USER_NAMESPACE));

    SandboxProcess p = noUserNamespaces.start(launch(reduced,
        "id -u; grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; tr -s ' ' < /proc/self/uid_map; touch mine"));
    int status;
    try {
      assertThat(p.waitFor(Duration.ofSeconds(60))).isTrue();
      status = p.waitFor();
    } finally {
      p.destroyTree();
    }

    assertThat(status).as(Files.readString(dir.resolve("err"))).isZero();
    assertThat(Files.readString(dir.resolve("out"))).isEqualTo(AgentOwner.UID + "\nCapEff:\t0000000000000000\n"
        + "CapBnd:\t0000000000000000\nNoNewPrivs:\t1\n 0 0 4294967295\n");
    assertThat(Files.getAttribute(workspace.resolve("mine"), "unix:uid")).isEqualTo(AgentOwner.UID);
    assertThat(p.confinement()).containsEntry("confinement", "reduced")
        .containsEntry("protections_off", List.of("user-namespace"))
        .containsEntry("namespaces", List.of("mount", "pid", "net", "ipc", "uts", "cgroup"));
    assertThat((String) p.confinement().get("reduced_because")).contains("user namespaces are disabled on this host");
  }

  /** The same host's sandbox, as if it ran on an architecture for which no seccomp profile exists. */
  private NetnsSandbox onArchitectureWithoutProfile() {
    return new NetnsSandbox(SandboxTools.defaultSearchPath(System.getenv("PATH")), NetnsSandbox.MASKED_BY_DEFAULT,
        InitCommand.current(), Path.of("/proc/sys"), "riscv64");
  }

  private record Ran(int status, String out, Map<String, Object> confinement) {}

  private Ran run(NetnsSandbox sandbox, Confinement confinement, String script) throws Exception {
    SandboxProcess p = sandbox.start(launch(confinement, script));
    try {
      assertThat(p.waitFor(Duration.ofSeconds(60))).isTrue();
      return new Ran(p.waitFor(), Files.readString(dir.resolve("out")), p.confinement());
    } finally {
      p.destroyTree();
    }
  }

  private static Confinement reducedMayGoWithout(Protection... off) {
    return new Confinement(Optional.empty(), List.of(), List.of(), dev.taskbound.core.policy.SandboxLimits.DEFAULT, List.of(off));
  }

  @Test
  void withoutReducedAnArchitectureWithoutASeccompProfileStopsTheRunNamingTheOptions() {
    SandboxException e = catchThrowableOfType(
        () -> onArchitectureWithoutProfile().start(launch(Confinement.DEFAULT, "touch started")), SandboxException.class);

    assertThat(e.exitCode()).isEqualTo(ExitCodes.SANDBOX);
    assertThat(e.getMessage()).startsWith("the netns sandbox has no seccomp profile for the architecture 'riscv64'")
        .contains("sandbox.allowReduced: [seccomp]", "'sandbox.confinement: reduced'", "use the container backend");
    assertThat(workspace.resolve("started")).doesNotExist();
  }

  @Test
  void reducedSeccompRunsTheAgentWithoutAFilterOnlyWhereNoProfileExistsAndSaysSo() throws Exception {
    Ran r = run(onArchitectureWithoutProfile(), reducedMayGoWithout(Protection.SECCOMP),
        "id -u; grep -E '^(CapBnd|NoNewPrivs|Seccomp):' /proc/self/status");

    assertThat(r.status()).isZero();
    assertThat(r.out()).isEqualTo(AgentOwner.UID + "\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t0\n");
    assertThat(r.confinement()).containsEntry("confinement", "reduced").containsEntry("protections_off", List.of("seccomp"))
        .containsEntry("seccomp", Map.of("profile", "none", "architecture", "riscv64",
            "refused_with", "nothing: no filter (reduced confinement)"));
    assertThat((String) r.confinement().get("reduced_because")).isEqualTo("no seccomp profile exists for the architecture 'riscv64'");
  }

  @Test
  void reducedNeverTakesOffAProtectionThisHostCanGive() throws Exception {
    NetnsSandbox sandbox = new NetnsSandbox(SandboxTools.defaultSearchPath(System.getenv("PATH")),
        NetnsSandbox.MASKED_BY_DEFAULT, InitCommand.current());

    Ran r = run(sandbox, reducedMayGoWithout(Protection.SECCOMP, Protection.USER_NAMESPACE, Protection.UNPRIVILEGED_USER),
        "id -u; grep -E '^(CapBnd|NoNewPrivs|Seccomp):' /proc/self/status");

    assertThat(r.status()).isZero();
    assertThat(r.out()).as("its own uid, no capability, the filter").isEqualTo(AgentOwner.UID
        + "\nCapBnd:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\n");
    assertThat(r.confinement()).containsEntry("confinement", "reduced").containsEntry("protections_off", List.of())
        .doesNotContainKey("reduced_because");
    assertThat(((Map<?, ?>) r.confinement().get("seccomp")).get("profile")).asString().startsWith("sha256:");
  }
}
