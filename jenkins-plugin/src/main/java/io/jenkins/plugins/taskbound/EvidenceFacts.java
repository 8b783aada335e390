package io.jenkins.plugins.taskbound;

import edu.umd.cs.findbugs.annotations.CheckForNull;
import edu.umd.cs.findbugs.annotations.NonNull;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * What a sealed session bundle says, for the build page: the session's outcome and exit code (as
 * the core's {@code summary.md} states them, one for all the block's commands), the number of
 * commands and of egress denials, and the credentials issued and revoked. Read from the bundle's
 * {@code events.jsonl} and {@code summary.md}; the bundle's integrity is {@code taskbound verify}'s
 * business, not this class's. No Jenkins types.
 *
 * @param outcome e.g. {@code succeeded}, {@code failed (command 2 of 3 exited 7)}, {@code TTL expired}
 * @param exitCode the session's exit code as text, or {@code null} if the summary has none
 * @param commands how many commands ran in the session
 * @param denials how many egress requests were refused
 * @param issued how many credentials were issued ({@code credential.issued})
 * @param revoked how many revocation steps of the teardown succeeded ({@code revoke-*}, outcome ok)
 * @param revocationsFailed how many revocation steps failed
 */
public final class EvidenceFacts implements Serializable {
  // A class, not a record: Jenkins keeps it in build.xml, and its XStream cannot read records back
  // (jenkinsci/jenkins#26077): after a restart the build page lost what the bundle said.
  private static final long serialVersionUID = 1L;

  @NonNull private final String outcome;
  @CheckForNull private final String exitCode;
  private final int commands;
  private final int denials;
  private final int issued;
  private final int revoked;
  private final int revocationsFailed;

  public EvidenceFacts(@NonNull String outcome, @CheckForNull String exitCode, int commands, int denials, int issued,
      int revoked, int revocationsFailed) {
    this.outcome = Objects.requireNonNull(outcome, "outcome");
    this.exitCode = exitCode;
    this.commands = commands;
    this.denials = denials;
    this.issued = issued;
    this.revoked = revoked;
    this.revocationsFailed = revocationsFailed;
  }

  @NonNull
  public String outcome() {
    return outcome;
  }

  @CheckForNull
  public String exitCode() {
    return exitCode;
  }

  public int commands() {
    return commands;
  }

  public int denials() {
    return denials;
  }

  public int issued() {
    return issued;
  }

  public int revoked() {
    return revoked;
  }

  public int revocationsFailed() {
    return revocationsFailed;
  }

  // Events are canonical JSON (keys sorted): an event's own "type" is its last member.
  private static final Pattern TYPE = Pattern.compile("\"type\":\"([a-z0-9_.]+)\"}\\s*$");
  private static final Pattern STEP = Pattern.compile("\"step\":\"(revoke-[a-z0-9-]+)\"");
  private static final Pattern OUTCOME = Pattern.compile("\"outcome\":\"([a-z_-]+)\"");
  private static final Pattern SUMMARY_ROW = Pattern.compile("(?m)^\\| (Outcome|Exit code) \\| (.*) \\|\\s*$");

  /** The facts of one bundle, from its event log and its summary. */
  @NonNull
  public static EvidenceFacts of(@NonNull String eventsJsonl, @NonNull String summaryMd) {
    int commands = 0;
    int denials = 0;
    int issued = 0;
    int revoked = 0;
    int failed = 0;
    for (String line : eventsJsonl.split("\n")) {
      Matcher type = TYPE.matcher(line);
      if (!type.find()) {
        continue;
      }
      String t = type.group(1);
      if (t.equals("agent.started")) {
        commands++;
      } else if (t.equals("egress.denied") || t.startsWith("egress.denied.")) {
        denials++;
      } else if (t.equals("credential.issued")) {
        issued++;
      } else if (t.equals("teardown.step")) {
        Matcher step = STEP.matcher(line);
        Matcher outcome = OUTCOME.matcher(line);
        // revoke-vault-login is the broker's own login, not a credential the session issued
        if (step.find() && outcome.find() && !step.group(1).equals("revoke-vault-login")) {
          if (outcome.group(1).equals("ok")) {
            revoked++;
          } else if (!outcome.group(1).equals("skipped") && !outcome.group(1).equals("scheduled")) {
            failed++;
          }
        }
      }
    }
    String outcome = null;
    String exit = null;
    Matcher row = SUMMARY_ROW.matcher(summaryMd);
    while (row.find()) {
      String value = row.group(2).replace("**", "").replace("\\", "").strip();
      if (row.group(1).equals("Outcome")) {
        outcome = value;
      } else {
        exit = value.isEmpty() ? null : value;
      }
    }
    return new EvidenceFacts(outcome == null ? "unknown (the bundle has no summary)" : outcome, exit, commands, denials,
        issued, revoked, failed);
  }

  /**
   * The facts of a bundle file ({@code <task>-<session>.zip}).
   *
   * @throws IOException if it cannot be read as a zip
   */
  @NonNull
  public static EvidenceFacts ofBundle(@NonNull Path zip) throws IOException {
    try (ZipFile bundle = new ZipFile(zip.toFile())) {
      return of(entry(bundle, "events.jsonl"), entry(bundle, "summary.md"));
    }
  }

  private static String entry(ZipFile bundle, String name) throws IOException {
    ZipEntry entry = bundle.getEntry(name);
    if (entry == null) {
      return "";
    }
    try (InputStream in = bundle.getInputStream(entry)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  // Bean getters for the build page's Jelly view: JEXL finds getX(), not a record's accessors.

  public String getOutcome() {
    return outcome;
  }

  public String getExitCode() {
    return exitCode;
  }

  public int getCommands() {
    return commands;
  }

  public int getDenials() {
    return denials;
  }

  public int getIssued() {
    return issued;
  }

  public int getRevoked() {
    return revoked;
  }

  public int getRevocationsFailed() {
    return revocationsFailed;
  }

  /** One line for the build log. */
  @NonNull
  public String describe() {
    return outcome + (exitCode == null ? "" : ", exit " + exitCode) + "; " + commands + " command(s), " + denials
        + " egress denial(s), credentials " + issued + " issued / " + revoked + " revoked"
        + (revocationsFailed == 0 ? "" : " / " + revocationsFailed + " revocation(s) FAILED");
  }
}
