package dev.taskbound.core.cli;

import dev.taskbound.core.evidence.BundleVerifier;
import dev.taskbound.core.evidence.EvidenceException;
import dev.taskbound.core.evidence.VerificationResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code taskbound verify BUNDLE [--jwks FILE]}: checks an evidence bundle's hash chain and seal,
 * and its sealed addenda (a teardown retried after the seal) with it.
 * Exit 0 when valid ({@code ok: N events, sealed by kid K}), 1 when not (the first bad line and
 * why, on stderr), 2 when the bundle or the JWKS cannot be read.
 */
@Command(
    name = "verify",
    mixinStandardHelpOptions = true,
    description = {
      "Verifies an evidence bundle and names its first bad line.",
      "Checks every line's hash and prev link, seq continuity, and the seal's",
      "signature, count and final hash. Names the first bad line.",
      "Without --jwks the key comes from the bundle (proves integrity); with --jwks, from FILE",
      "(also proves who sealed it). The sealed addenda of a teardown retried later",
      "(BUNDLE.addendum-N.zip, next to it) are checked with the bundle: the chain must continue",
      "across them and each must be sealed by the bundle's key; the result names every attempt."
    },
    exitCodeListHeading = "Exit codes:%n",
    exitCodeList = {"0:bundle is intact", "1:bundle was tampered with or is incomplete", "2:bundle or JWKS unreadable"})
public final class VerifyCommand implements Callable<Integer> {
  static final int VALID = 0;
  static final int INVALID = 1;
  static final int UNREADABLE = 2;

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "BUNDLE", description = "Evidence bundle: a .zip or an unpacked directory.")
  Path bundle;

  @Option(names = "--jwks", paramLabel = "FILE", description = "Trusted JWK Set holding the sealing key.")
  Path jwks;

  @Override
  public Integer call() {
    String trusted = null;
    if (jwks != null) {
      try {
        trusted = Files.readString(jwks, StandardCharsets.UTF_8);
      } catch (IOException e) {
        spec.commandLine().getErr().println("taskbound verify: cannot read --jwks " + jwks + ": " + e.getMessage());
        return UNREADABLE;
      }
    }
    VerificationResult result;
    try {
      result = BundleVerifier.verify(bundle, trusted);
    } catch (EvidenceException e) {
      spec.commandLine().getErr().println("taskbound verify: " + e.getMessage());
      return UNREADABLE;
    }
    if (result.valid()) {
      spec.commandLine().getOut().println(result.message());
      return VALID;
    }
    spec.commandLine().getErr().println("invalid: " + result.message());
    return INVALID;
  }
}
