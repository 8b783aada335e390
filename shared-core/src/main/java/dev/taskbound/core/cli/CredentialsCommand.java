package dev.taskbound.core.cli;

import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.session.CredentialIssue;
import dev.taskbound.core.session.CredentialSources;
import dev.taskbound.core.session.JournalKey;
import dev.taskbound.core.session.SessionSpec;
import dev.taskbound.core.session.TeardownReport;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code taskbound credentials}: a session's credentials issued on one host and used on another,
 * for CI whose controller holds the GitHub App key and the Vault login and whose agents must not.
 */
@Command(
    name = "credentials",
    mixinStandardHelpOptions = true,
    description = {
      "Issues a session's credentials where the GitHub App key and the Vault login are (a CI controller),",
      "for a session opened on another host: 'credentials issue --handoff -' writes them to standard output",
      "for 'session start --credentials-handoff -' (or --handoff FILE: a 0600 file that",
      "'session start --credentials-handoff FILE' reads and deletes); 'credentials revoke' revokes them."
    },
    subcommands = {CredentialsCommand.Issue.class, CredentialsCommand.Revoke.class})
final class CredentialsCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a credentials command is required (issue, revoke)");
  }

  /** {@code credentials issue}: mint what the effective policy grants and hand it off. */
  @Command(
      name = "issue",
      mixinStandardHelpOptions = true,
      description = {
        "Resolves the effective policy exactly as 'session start' will (same --task, --policy, --ceiling,",
        "--profile, --ttl, --sandbox) and issues what it grants with the TASKBOUND_GITHUB_APP_* and",
        "TASKBOUND_VAULT_* environment (only the services the policy grants from are used); writes the",
        "values to --handoff FILE (0600, must not exist) and prints the journal directory that",
        "'credentials revoke --journal' takes as the only line on standard output; with --handoff -,",
        "standard output carries the hand-off and nothing else (pipe it into 'session start",
        "--credentials-handoff -'; no file holds it) and the journal is named on standard error.",
        "Names and fingerprints go to standard error, never a value. On failure nothing is written to",
        "standard output and what was issued is revoked. With TASKBOUND_JOURNAL_KEY (32 random bytes in",
        "base64) in the environment, every entry of the journal (GitHub tokens, Vault accessors and leases)",
        "is sealed with it (AES-GCM): the file holds no usable handle, and 'credentials revoke' needs the",
        "same key for each of them."
      },
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {
        "0:issued and handed off (or nothing to issue, with --allow-none: no output)",
        "120:the policy is invalid",
        "122:nothing to issue, a source the policy needs is not configured, or a broker failed (what was issued is revoked)",
        "125:TASKBOUND_JOURNAL_KEY is not a key (nothing issued)"
      })
  static final class Issue implements Callable<Integer> {
    /** {@code --handoff -}: standard output. */
    static final String STDOUT = "-";

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin EnvelopeOptions envelope = new EnvelopeOptions();

    @Option(names = "--handoff", required = true, paramLabel = "FILE|-",
        description = "Where the hand-off goes: '-' for standard output (a pipe into 'session start --credentials-handoff -'),"
            + " or a file (created 0600; must not exist) to copy to the session's host; 'credentials revoke' deletes it"
            + " if it is still there. Never print it to a log.")
    String handoff;

    @Option(names = "--journal", paramLabel = "DIR",
        description = "The revocation journal's directory (created 0700; must not exist; its parent must). Default: a new"
            + " credentials-issued-<random> directory under the session root.")
    Path journal;

    @Option(names = "--allow-none",
        description = "A policy that grants no GitHub or Vault credentials is not an error: exit 0, print nothing on standard output.")
    boolean allowNone;

    private final Map<String, String> env;

    Issue(Map<String, String> env) {
      this.env = env;
    }

    @Override
    public Integer call() {
      if (envelope.credentialHandoff != null) {
        throw new CommandLine.ParameterException(spec.commandLine(),
            "--credentials-handoff is for 'session start'; 'credentials issue' writes the hand-off to --handoff");
      }
      Optional<JournalKey> journalKey = JournalKey.fromEnvironment(env); // a bad key fails before anything is issued
      SessionSpec session = envelope.builder(SessionSuperviseCommand.NO_COMMAND, env,
          java.io.InputStream.nullInputStream(), spec.commandLine()).build();
      boolean toStdout = STDOUT.equals(handoff);
      Optional<Path> journalDir = Optional.ofNullable(journal);
      Optional<CredentialIssue.Issued> result = toStdout
          ? CredentialIssue.issue(session, spec.commandLine().getOut(), journalDir, journalKey)
          : CredentialIssue.issue(session, Path.of(handoff), journalDir, journalKey);
      PrintWriter err = spec.commandLine().getErr();
      if (result.isEmpty()) {
        err.println("taskbound: the effective policy grants no GitHub or Vault credentials: nothing issued, no hand-off"
            + " written; open the session without --credentials-handoff");
        err.flush();
        return allowNone ? 0 : ExitCodes.CREDENTIALS;
      }
      CredentialIssue.Issued issued = result.get();
      err.println("taskbound: credentials issued to " + (toStdout ? "standard output" : handoff) + ":");
      issued.credentials().forEach(line -> err.println("  " + line));
      err.println("  revoke with: taskbound credentials revoke --journal " + issued.journalDir());
      err.flush();
      if (!toStdout) { // standard output carries the hand-off and nothing else
        spec.commandLine().getOut().println(issued.journalDir());
        spec.commandLine().getOut().flush();
      }
      return 0;
    }
  }

  /** {@code credentials revoke}: revoke what an issue journalled (block end, or a backstop). */
  @Command(
      name = "revoke",
      mixinStandardHelpOptions = true,
      description = {
        "Revokes every credential 'credentials issue' journalled in DIR, newest first, and removes DIR.",
        "First it deletes the hand-off file the issue wrote (--handoff FILE) if no session read it and it is",
        "still that file ('teardown remove-handoff-file ok'); gone, replaced or a link is left alone (skipped, saying why).",
        "Give the same TASKBOUND_VAULT_* environment as the issue (Vault entries need a fresh login);",
        "GitHub tokens revoke themselves. Safe to run again after a failure, or after the session revoked",
        "its GitHub token itself. A journal the issue sealed needs the same TASKBOUND_JOURNAL_KEY: without",
        "it, or with another key, each sealed entry fails (named) and stays for a retry."
      },
      exitCodeListHeading = "%nExit codes:%n",
      exitCodeList = {"0:everything revoked", "123:a revocation failed (listed); run again to retry",
        "125:DIR is not a journal, or TASKBOUND_JOURNAL_KEY is not a key"})
  static final class Revoke implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--journal", required = true, paramLabel = "DIR", description = "The directory 'credentials issue' printed.")
    Path journal;

    private final Map<String, String> env;

    Revoke(Map<String, String> env) {
      this.env = env;
    }

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      Optional<JournalKey> journalKey = JournalKey.fromEnvironment(env);
      CredentialSources sources = TeardownCommand.sources(env, err);
      TeardownReport report = CredentialIssue.revoke(journal, sources.revocationContext(), journalKey);
      RunSummary.printTeardown(err, report, "taskbound credentials revoke --journal " + journal);
      err.flush();
      return report.ok() ? 0 : ExitCodes.TEARDOWN;
    }
  }

  /** The subcommands that read the host environment. */
  static final List<Class<?>> WITH_ENV = List.of(Issue.class, Revoke.class);

  static Object create(Class<?> cls, Map<String, String> env) {
    return cls == Issue.class ? new Issue(env) : new Revoke(env);
  }
}
