package dev.taskbound.core.cli;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.SafeText;
import dev.taskbound.core.evidence.BundleVerifier;
import dev.taskbound.core.evidence.EvidenceException;
import dev.taskbound.core.evidence.OrgKeys;
import dev.taskbound.core.evidence.TrustAnchors;
import dev.taskbound.core.evidence.VerificationResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code taskbound verify BUNDLE [--trusted-keys FILE] [--expect-kid KID] [--jwks FILE] [--expect-session S]}: checks an
 * evidence bundle's hash chain and seal (and its sealed addenda), then who sealed it against the
 * trust anchors given. A bundle that only vouches for itself is never called verified: exit 0 needs
 * an anchor (or {@code --allow-unverified-signer}); codes in {@link ExitCodes.Verify}. Every line
 * it prints goes through {@link SafeText#line}: the messages quote the bundle (a seal's kid, a line's
 * session or time), whose control characters could otherwise rewrite the terminal's line.
 */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Verifies an evidence bundle: integrity first, then who sealed it.",
      "Checks every line's hash and prev link, seq continuity, and the seal's",
      "signature, count and final hash. Names the first bad line.",
      "The bundle carries its own sealing key, so integrity alone does not say who sealed it: a trust",
      "anchor does. --trusted-keys FILE checks the org signer's statement (Vault Transit) certifying",
      "the session's key; --expect-kid KID compares with the key the host recorded at open; --jwks FILE",
      "takes the sealing key from FILE. Without one, the signer is NOT verified (exit 3).",
      "The sealed addenda of a teardown retried later (BUNDLE.addendum-N.zip, next to it) are checked",
      "with the bundle: the chain must continue across them; the result names every attempt."
    },
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {
      "0:intact, and a trust anchor verified the signer (or --allow-unverified-signer)",
      "1:tampered with, incomplete, or an anchor contradicts the signer",
      "2:bundle or anchor file unreadable",
      "3:intact, but the signer is NOT verified (no anchor given, or a recovery key no anchor covers)"
    })
public final class VerifyCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "BUNDLE", description = "Evidence bundle: a .zip or an unpacked directory.")
  Path bundle;

  @Option(names = "--jwks", paramLabel = "FILE", description = "Trusted JWK Set holding the sealing key.")
  Path jwks;

  @Option(
      names = "--trusted-keys",
      paramLabel = "FILE",
      description = "The org signer's public keys (Vault Transit): the JSON of GET /v1/<mount>/keys/<key>, a JWKS"
          + " (kid v<N>), or PEM blocks each after a 'key_version: N' line.")
  Path trustedKeys;

  @Option(
      names = "--expect-kid",
      paramLabel = "KID",
      description = "The evidence key the host recorded at open (CLI stderr, the Action's job log or step summary,"
          + " the Jenkins build page); repeatable.")
  List<String> expectKids = new ArrayList<>();

  @Option(
      names = "--expect-session",
      paramLabel = "SESSION",
      description = "The session the bundle must be of (the id the host printed at open): a key that seals"
          + " several sessions' bundles (--trusted-keys, --jwks) verifies any of them.")
  String expectSession;

  @Option(
      names = "--allow-unverified-signer",
      description = "Exit 0 for an intact bundle whose signer no anchor verified (local use; still says so).")
  boolean allowUnverifiedSigner;

  @Override
  public Integer call() {
    TrustAnchors anchors = TrustAnchors.none();
    try {
      if (jwks != null) {
        anchors = anchors.withJwks(read("--jwks", jwks));
      }
      if (trustedKeys != null) {
        anchors = anchors.withOrgKeys(OrgKeys.parse(read("--trusted-keys", trustedKeys), "--trusted-keys " + trustedKeys));
      }
      for (String kid : expectKids) {
        anchors = anchors.expectKid(kid);
      }
      if (expectSession != null) {
        anchors = anchors.expectSession(expectSession);
      }
    } catch (IOException | EvidenceException e) {
      spec.commandLine().getErr().println(SafeText.line("taskbound verify: " + e.getMessage()));
      return ExitCodes.Verify.UNREADABLE;
    }
    VerificationResult result;
    try {
      result = BundleVerifier.verify(bundle, anchors);
    } catch (EvidenceException e) {
      spec.commandLine().getErr().println(SafeText.line("taskbound verify: " + e.getMessage()));
      return ExitCodes.Verify.UNREADABLE;
    } catch (OutOfMemoryError e) {
      // A hostile bundle within every cap may still not fit this JVM's heap: unreadable, not an internal error.
      spec.commandLine().getErr().println(SafeText.line("taskbound verify: " + bundle
          + ": too large to verify in this process's memory (" + (Runtime.getRuntime().maxMemory() >> 20) + " MiB)"));
      return ExitCodes.Verify.UNREADABLE;
    }
    if (!result.valid()) {
      spec.commandLine().getErr().println(SafeText.line("invalid: " + result.message()));
      return ExitCodes.Verify.INVALID;
    }
    spec.commandLine().getOut().println(SafeText.line(result.message()));
    if (result.signerVerified()) {
      spec.commandLine().getOut().println(SafeText.line("signer " + result.signer()));
      return ExitCodes.Verify.VALID;
    }
    spec.commandLine().getErr().println(SafeText.line("signer " + result.signer()));
    return allowUnverifiedSigner ? ExitCodes.Verify.VALID : ExitCodes.Verify.SIGNER_NOT_VERIFIED;
  }

  private static String read(String option, Path file) throws IOException {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IOException("cannot read " + option + " " + file + ": " + e.getMessage(), e);
    }
  }
}
