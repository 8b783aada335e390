package dev.taskbound.core.session;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.taskbound.core.ExitCodes;
import dev.taskbound.core.Json;
import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.CredentialBroker;
import dev.taskbound.core.broker.IssuedCredential;
import dev.taskbound.core.broker.RevocationContext;
import dev.taskbound.core.broker.UndoRecorder;
import dev.taskbound.core.policy.EffectivePolicy;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * Issues a session's credentials on one host (a CI controller, which holds the GitHub App key and
 * the Vault login) for a session another host opens ({@code taskbound credentials issue}, then
 * {@code session start --credentials-handoff}). The brokers run exactly as in a session's open, for
 * the same effective policy, with a teardown journal of their own in {@code
 * <sessionRoot>/credentials-issued-<random>/} ({@value #FILE}, 0600): every creation is registered
 * before it happens, so {@link #revoke} (block end, or a backstop after a crash) revokes the child
 * token, the leases, the GitHub token and the Vault login from the journal alone, and deletes a
 * hand-off file this issue wrote that no session read ({@link HandoffFile}). The journal holds
 * Vault accessors and lease ids, and the GitHub token, which GitHub revokes only with itself: given a
 * {@link JournalKey}, every handle is sealed whole with it (AES-GCM, bound to the journal's random
 * id in {@code journal-id}, the entry and the step): the file holds no usable secret, and a sealed
 * handle can be neither read, altered nor moved to another entry or journal. Not covered: the
 * {@code result} lines (an entry can be marked done) and an older handle line of the same entry.
 */
public final class CredentialIssue {
  /** How the journal directory's name starts. */
  public static final String PREFIX = "credentials-issued-";
  /** The journal's file name in the directory. */
  public static final String FILE = "issued-journal.jsonl";

  private static final ObjectMapper JSON = Json.MAPPER;
  private static final String STANDARD_OUTPUT = "standard output";

  /**
   * What was issued: where its revocation is journalled, and one line per credential (name, kind,
   * fingerprint; never a value).
   */
  public record Issued(Path journalDir, List<String> credentials) {
    public Issued {
      credentials = List.copyOf(credentials);
    }
  }

  private CredentialIssue() {}

  /**
   * Resolves {@code spec}'s effective policy as the session's open will, issues what it grants with
   * {@code spec}'s credential sources, and writes the hand-off to {@code handoff} (0600, must not
   * exist). Of the sources, only those the policy grants from are used. On any failure everything
   * already issued is revoked and no hand-off is left.
   *
   * @return empty, with nothing written, when the policy grants no GitHub or Vault credentials
   * @throws dev.taskbound.core.TaskboundException 120 for an invalid policy, 122 if a source the
   *     policy needs is not configured, a broker fails or the hand-off cannot be written
   */
  public static Optional<Issued> issue(SessionSpec spec, Path handoff) {
    return issue(spec, handoff, Optional.empty());
  }

  /**
   * As {@link #issue(SessionSpec, Path)}, with the journal in {@code journalDir} when given (created
   * 0700; it must not exist, its parent must) instead of a new directory under the session root.
   */
  public static Optional<Issued> issue(SessionSpec spec, Path handoff, Optional<Path> journalDir) {
    return issue(spec, handoff, journalDir, Optional.empty());
  }

  /**
   * As {@link #issue(SessionSpec, Path, Optional)}, with the journal's secret handle fields (the
   * GitHub token) sealed with {@code journalKey} when given: {@link #revoke(Path, RevocationContext,
   * Optional)} then needs the same key.
   */
  public static Optional<Issued> issue(SessionSpec spec, Path handoff, Optional<Path> journalDir,
      Optional<JournalKey> journalKey) {
    // The file's removal is journalled too: 'credentials revoke' deletes it if no session read it.
    return issue(spec, journalDir, journalKey, Optional.of(handoff),
        (entries, undo) -> HandoffFile.write(handoff, entries, undo));
  }

  /**
   * As {@link #issue(SessionSpec, Path, Optional)}, writing the hand-off to {@code out} (a pipe to
   * {@code session start --credentials-handoff -}) instead of a file: no file ever holds it. Nothing
   * is written to {@code out} unless everything was issued; if writing fails, everything issued is
   * revoked.
   *
   * @throws dev.taskbound.core.TaskboundException as {@link #issue(SessionSpec, Path)}; 122 too if
   *     {@code out} reports an error (a closed pipe)
   */
  public static Optional<Issued> issue(SessionSpec spec, PrintWriter out, Optional<Path> journalDir) {
    return issue(spec, out, journalDir, Optional.empty());
  }

  /**
   * As {@link #issue(SessionSpec, PrintWriter, Optional)}, with the journal's secret handle fields
   * sealed with {@code journalKey} when given (see {@link #issue(SessionSpec, Path, Optional,
   * Optional)}).
   */
  public static Optional<Issued> issue(SessionSpec spec, PrintWriter out, Optional<Path> journalDir,
      Optional<JournalKey> journalKey) {
    return issue(spec, journalDir, journalKey, Optional.empty(), (entries, undo) -> {
      out.print(new String(CredentialHandoff.encode(STANDARD_OUTPUT, entries), StandardCharsets.UTF_8));
      out.flush();
      if (out.checkError()) {
        throw new BrokerException("handoff", "write the credential hand-off to " + STANDARD_OUTPUT, -1,
            "the stream reported an error (closed?); accepted: standard output piped into"
                + " 'session start --credentials-handoff -'");
      }
    });
  }

  private static Optional<Issued> issue(SessionSpec spec, Optional<Path> journalDir, Optional<JournalKey> journalKey,
      Optional<Path> handoffFile, BiConsumer<List<CredentialHandoff.Entry>, UndoRecorder> handOff) {
    Optional<OrgCeiling> org = spec.orgCeiling()
        .map(location -> OrgCeiling.read(location, spec.credentialSources(), spec.repositoryCeiling(), spec.sessionRoot(),
            journalKey)); // the issuer's key seals the ceiling's read token on disk too
    EffectivePolicy policy = Session.resolvePolicy(spec, org);
    // A controller configures its App and Vault once for every job: only what this policy grants is used.
    CredentialSources all = spec.credentialSources();
    CredentialSources used = new CredentialSources(
        policy.repositories().isEmpty() ? Optional.empty() : all.github(),
        policy.vault().isEmpty() ? Optional.empty() : all.vault());
    CredentialPlan plan = CredentialPlan.of(policy, used, spec.clock());
    if (plan.isEmpty()) {
      return Optional.empty();
    }
    if (handoffFile.isPresent() && Files.exists(handoffFile.get(), LinkOption.NOFOLLOW_LINKS)) {
      throw new BrokerException("handoff", "write the credential hand-off to " + handoffFile.get(), -1,
          "it already exists; accepted: a path that does not exist yet");
    }
    Path dir = createDir(journalDir.orElseGet(() -> spec.sessionRoot().toAbsolutePath().normalize().resolve(randomName())));
    Optional<String> apiUrl = spec.credentialSources().github().map(g -> g.apiUrl().toString());
    Optional<String> journalId = journalKey.map(key -> JournalId.create(dir));
    try (TeardownJournal journal = TeardownJournal.create(dir.resolve(FILE))) {
      UndoRecorder undo = journalKey.map(key -> SealedHandles.sealing(journal, key, journalId.orElseThrow()))
          .orElseGet(journal::asUndoRecorder);
      List<CredentialHandoff.Entry> entries = new ArrayList<>();
      List<String> lines = new ArrayList<>();
      try {
        for (CredentialBroker broker : plan.brokers()) {
          for (IssuedCredential c : broker.issue(undo)) {
            entries.add(new CredentialHandoff.Entry(c, JSON.valueToTree(plan.scope(c.name(), c.kind())),
                c.kind().equals("github-token") ? apiUrl : Optional.empty()));
            lines.add(c.name() + " (" + c.kind() + ") " + c.value().fingerprint());
          }
        }
        handOff.accept(entries, undo);
      } catch (RuntimeException | Error e) {
        journal.close();
        TeardownReport undone = revoke(dir, plan.revocationContext(), journalKey);
        if (!undone.ok()) {
          e.addSuppressed(new SessionException("revoking what was issued failed: " + undone.failures()
              + "; retry with: taskbound credentials revoke --journal " + dir, ExitCodes.TEARDOWN));
        }
        throw e;
      }
      return Optional.of(new Issued(dir, lines));
    }
  }

  /** Whether {@code dir} is such a journal directory: a real directory holding the journal as a regular file. */
  public static boolean isOne(Path dir) {
    return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
        && Files.isRegularFile(dir.resolve(FILE), LinkOption.NOFOLLOW_LINKS)
        && !Files.exists(dir.resolve("session.json"), LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * Revokes every pending entry of the journal in {@code dir}, newest first (the hand-off file this
   * issue wrote, if no session read it and it is still that file; the leases and child token before
   * the Vault login they hang from), each at most once; removes the directory when nothing failed. Idempotent: a GitHub token already revoked by the session counts as revoked.
   *
   * @param revocation Vault entries need its token source (a fresh login, {@link
   *     CredentialSources#revocationContext()}); GitHub tokens revoke themselves
   * @throws SessionException (exit 125) if {@code dir} is not such a directory
   */
  public static TeardownReport revoke(Path dir, RevocationContext revocation) {
    return revoke(dir, revocation, Optional.empty());
  }

  /**
   * As {@link #revoke(Path, RevocationContext)}, opening the journal's sealed fields with {@code
   * journalKey}. A sealed entry it cannot open (no key, or not the key the issue sealed with) fails,
   * named, and stays in the journal for a retry with the right key; the other entries are revoked.
   */
  public static TeardownReport revoke(Path dir, RevocationContext revocation, Optional<JournalKey> journalKey) {
    if (!isOne(dir)) {
      throw new SessionException("'" + dir + "' is not a directory 'credentials issue' printed (no " + FILE
          + " in it)", ExitCodes.USAGE);
    }
    List<StepResult> steps = JournalRevocations.revokePending(dir.resolve(FILE), revocation, journalKey, // newest first
        "retry with: taskbound credentials revoke --journal " + dir);
    TeardownReport report = new TeardownReport(dir.getFileName().toString(), steps);
    if (report.ok()) {
      try {
        Files.deleteIfExists(dir.resolve(FILE));
        JournalId.delete(dir);
        Files.deleteIfExists(dir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot remove " + dir, e);
      }
    }
    return report;
  }

  private static String randomName() {
    byte[] random = new byte[8];
    new SecureRandom().nextBytes(random);
    return PREFIX + HexFormat.of().formatHex(random);
  }

  /** Creates {@code dir} (0700), which must not exist yet: a journal is never shared or reused. */
  private static Path createDir(Path dir) {
    Path absolute = dir.toAbsolutePath().normalize();
    try {
      Files.createDirectories(absolute.getParent());
      Files.createDirectory(absolute, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    } catch (java.nio.file.FileAlreadyExistsException e) {
      throw new SessionException("cannot create " + absolute + " for the issued credentials' journal: it already exists;"
          + " accepted: a path that does not exist yet", ExitCodes.CREDENTIALS, e);
    } catch (IOException e) {
      throw new SessionException("cannot create " + absolute + " for the issued credentials' journal: " + e.getMessage()
          + "; set --session-root (or --journal) to a writable directory", ExitCodes.CREDENTIALS, e);
    }
    return absolute;
  }
}
