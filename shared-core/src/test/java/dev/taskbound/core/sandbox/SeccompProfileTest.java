package dev.taskbound.core.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The committed seccomp programs are libseccomp's output for scripts/seccomp-profile.py, per architecture. */
class SeccompProfileTest {
  private static final Path ROOT = Path.of(System.getProperty("taskbound.repo.root"));

  @TempDir Path dir;

  @Test
  void committedProgramsAreWhatLibseccompGeneratesFromTheScript() throws Exception {
    Process p = new ProcessBuilder("/usr/bin/python3", ROOT.resolve("scripts/seccomp-profile.py").toString(), dir.toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();

    for (String arch : SeccompProfile.ARCHITECTURES) {
      byte[] generated = Files.readAllBytes(dir.resolve("seccomp-" + arch + ".bpf"));
      assertThat(SeccompProfile.forArchitecture(arch).program())
          .as("seccomp-%s.bpf: rerun scripts/seccomp-profile.py into src/main/resources/dev/taskbound/core/sandbox", arch)
          .isEqualTo(generated);
    }
  }

  @ParameterizedTest
  @CsvSource({"amd64, x86_64", "x86_64, x86_64", "aarch64, aarch64", "arm64, aarch64"})
  void javasArchitectureNamesMapToTheKernels(String osArch, String expected) {
    SeccompProfile profile = SeccompProfile.forArchitecture(osArch);

    assertThat(profile.architecture()).isEqualTo(expected);
    assertThat(profile.program()).hasSizeGreaterThan(64).satisfies(b -> assertThat(b.length % 8).isZero());
  }

  @ParameterizedTest
  @ValueSource(strings = {"arm", "riscv64", "ppc64le", "s390x", "x86"})
  void anotherArchitectureFailsClosedNamingTheSupportedOnes(String osArch) {
    assertThatThrownBy(() -> SeccompProfile.forArchitecture(osArch))
        .isInstanceOf(SandboxException.class)
        .hasMessage("the netns sandbox has no seccomp profile for the architecture '" + osArch + "' (profiles exist for"
            + " x86_64, aarch64), so the agent would run without a syscall filter; it does not start. Options: run on"
            + " x86_64 or aarch64, use the container backend, or, where the Ceiling allows it (sandbox.allowReduced:"
            + " [seccomp]), 'sandbox.confinement: reduced' runs the agent without the filter");
  }

  @Test
  void digestIsTheSha256OfTheProgramAsDocumented() throws Exception {
    SeccompProfile profile = SeccompProfile.forArchitecture("x86_64");
    byte[] resource;
    try (InputStream in = SeccompProfile.class.getResourceAsStream("seccomp-x86_64.bpf")) {
      resource = in.readAllBytes();
    }

    String digest = profile.digest();

    assertThat(digest).isEqualTo("sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(resource)));
    assertThat(Files.readString(ROOT.resolve("docs/sandbox.md")))
        .contains(digest.substring("sha256:".length()))
        .contains(SeccompProfile.forArchitecture("aarch64").digest().substring("sha256:".length()));
  }
}
