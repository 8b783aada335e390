package dev.taskbound.core.cli;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.broker.BrokerException;
import java.io.PrintWriter;
import dev.taskbound.core.session.CeilingReadJournal;
import dev.taskbound.core.session.CredentialSources;
import dev.taskbound.core.session.Session;
import dev.taskbound.core.session.TeardownReport;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code taskbound teardown --session DIR}: finishes the journal of a session whose process died. */
@Command(
    name = "teardown",
    mixinStandardHelpOptions = true,
    description = {
      "Finishes the teardown of a session whose taskbound process died.",
      "For a session killed with SIGKILL or lost with its agent:",
      "stops what is left of its sandbox, seals its evidence into the bundle and removes its private state.",
      "Safe to run more than once: on a finished session it says so and exits 0;",
      "a session still held by a live process is refused.",
      "A retry after the bundle was sealed (a failed revocation) continues the same hash chain and",
      "seals it into <bundle>.addendum-N.zip next to the bundle, which 'verify' checks with it.",
      "Credentials are revoked from the journal; give the same TASKBOUND_GITHUB_*/TASKBOUND_VAULT_*",
      "environment as the run (Vault entries need a fresh login).",
      "The session's evidence key died with its process: the evidence is sealed with a new key",
      "(evidence.rekeyed), which the org signer certifies through that Vault when the policy names one",
      "(evidence.signer); if it cannot, the seal fails (123) and a rerun finishes it."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:every pending step succeeded, or the teardown had already completed",
      "123:a step failed (listed); run again to retry"
    })
final class TeardownCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--session", required = true, paramLabel = "DIR", description = "The session's state directory.")
  Path session;

  private final Map<String, String> env;

  TeardownCommand(Map<String, String> env) {
    this.env = env;
  }

  /**
   * The host's credential configuration, as for the run: Vault entries are revoked after a fresh
   * login with it, and a recovery key is certified through its Vault when the session's policy names
   * an org signer. A broken configuration must not stop the rest of the teardown: GitHub tokens
   * revoke themselves, and the Vault steps (and a certification) then fail naming what is missing
   * (exit 123, retry possible).
   */
  static CredentialSources sources(Map<String, String> env, PrintWriter err) {
    try {
      return CredentialSources.fromEnvironment(env);
    } catch (BrokerException e) {
      err.println("taskbound: warning: " + e.getMessage() + "; Vault credentials cannot be revoked by this teardown");
      err.flush();
      return CredentialSources.NONE;
    }
  }

  /** Finishes the session in {@code stateDir} with the host's configuration in {@code env}. */
  static TeardownReport finish(Path stateDir, Map<String, String> env, PrintWriter err) {
    CredentialSources sources = sources(env, err);
    return Session.finish(stateDir, sources.revocationContext(), sources);
  }

  @Override
  public Integer call() {
    if (CeilingReadJournal.isOne(session)) {
      // An org ceiling's read token whose process died between mint and revoke.
      TeardownReport revoked = CeilingReadJournal.finish(session, sources(env, spec.commandLine().getErr()).revocationContext(),
          dev.taskbound.core.session.JournalKey.fromEnvironment(env)); // sealed when a keyed 'credentials issue' read it
      RunSummary.printTeardown(spec.commandLine().getErr(), revoked);
      return revoked.ok() ? 0 : ExitCodes.TEARDOWN;
    }
    java.util.Optional<String> done = Session.completedTeardown(session);
    if (done.isPresent()) {
      spec.commandLine().getErr().println("taskbound: " + done.get());
      spec.commandLine().getErr().flush();
      return 0;
    }
    TeardownReport report = finish(session, env, spec.commandLine().getErr());
    RunSummary.printTeardown(spec.commandLine().getErr(), report);
    return report.ok() ? 0 : ExitCodes.TEARDOWN;
  }
}
