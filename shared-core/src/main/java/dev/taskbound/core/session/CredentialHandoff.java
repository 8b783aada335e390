package dev.taskbound.core.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.taskbound.core.Json;
import dev.taskbound.core.ProcessUser;
import dev.taskbound.core.broker.BrokerException;
import dev.taskbound.core.broker.IssuedCredential;
import dev.taskbound.core.broker.Secret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The credentials a CI controller issued for one session ({@code taskbound credentials issue}),
 * carried to the host that opens the session as a 0600 file: each credential's value, the variables
 * and files the agent gets, the scope it was issued for, and for a GitHub token the API it revokes
 * at. The App key and the Vault login never enter it, nor the Vault child token's value, which the
 * session's host never uses ({@link Withheld}). The file is read once and deleted by the open
 * ({@link #take}); a file another user owns, a file readable by others, a link or a second read are
 * refused.
 */
final class CredentialHandoff {
  /** The format's name and version, the file's first field. */
  static final String FORMAT = "taskbound-credential-handoff/1";

  private static final ObjectMapper JSON = Json.MAPPER;

  /** A hand-off holds a few tokens and small files; anything larger is not one. */
  static final int MAX_BYTES = 1 << 20;

  /** One handed-off credential and the scope the issuer recorded for it. */
  record Entry(IssuedCredential credential, JsonNode scope, Optional<String> apiUrl) {}

  /**
   * A credential whose value stays with the issuer: the Vault child token, which the session's host
   * never uses (the issuer read the secrets with it, exposes it to no agent, and revokes it from its
   * journal). Only what evidence records of it travels.
   */
  record Withheld(String name, String kind, String fingerprint, Optional<Instant> expiresAt, JsonNode scope) {}

  private static final String VAULT_TOKEN = "vault-token";
  private static final java.util.regex.Pattern FINGERPRINT = java.util.regex.Pattern.compile("sha256:[0-9a-f]{12}");

  private final List<Entry> entries;
  private final List<Withheld> withheld;

  private CredentialHandoff(List<Entry> entries, List<Withheld> withheld) {
    this.entries = List.copyOf(entries);
    this.withheld = List.copyOf(withheld);
  }

  /** The credentials handed off with their values. */
  List<Entry> entries() {
    return entries;
  }

  /** The credentials whose values stayed with the issuer. */
  List<Withheld> withheld() {
    return withheld;
  }

  /**
   * Whether the issuer keeps {@code c}'s value: a Vault child token that no variable or file exposes
   * (the policy cannot expose it), so the session's host has no use for it.
   */
  static boolean withholds(IssuedCredential c) {
    return c.kind().equals(VAULT_TOKEN) && c.environment().isEmpty() && c.files().isEmpty();
  }

  /**
   * The hand-off's bytes (UTF-8 JSON, the values in clear): for a 0600 file or a pipe, never a log.
   *
   * @param destination named in the message if encoding fails
   * @throws BrokerException (exit 122) if it cannot be encoded, or holds a name the session would
   *     refuse ({@link HandoffNames}): such a hand-off is never written
   */
  static byte[] encode(String destination, List<Entry> entries) {
    ObjectNode root = JSON.createObjectNode().put("format", FORMAT);
    ArrayNode list = root.putArray("credentials");
    for (int i = 0; i < entries.size(); i++) {
      IssuedCredential c = entries.get(i).credential();
      checkNames(destination, "credentials[" + i + "] ('" + c.name() + "')", c);
      Entry e = entries.get(i);
      ObjectNode node = list.addObject().put("name", c.name()).put("kind", c.kind());
      c.expiresAt().ifPresent(t -> node.put("expires_at", t.toString()));
      if (withholds(c)) {
        node.put("fingerprint", c.value().fingerprint()); // for the session's evidence; the value stays here
      } else {
        node.put("value", c.value().reveal());
        ObjectNode env = node.putObject("environment");
        new java.util.TreeMap<>(c.environment()).forEach(env::put);
        ObjectNode files = node.putObject("files");
        new java.util.TreeMap<>(c.files()).forEach((k, v) -> files.put(k, v.reveal()));
      }
      node.set("scope", e.scope());
      e.apiUrl().ifPresent(u -> node.put("api_url", u));
    }
    try {
      return JSON.writeValueAsBytes(root);
    } catch (IOException e) {
      throw failure(destination, "cannot encode it (" + e.getClass().getSimpleName() + ")");
    }
  }

  /** The issuer's own check, before anything is written: the session would refuse this hand-off. */
  private static void checkNames(String destination, String at, IssuedCredential c) {
    List<Optional<String>> refusals = new ArrayList<>();
    c.environment().keySet().forEach(variable -> refusals.add(HandoffNames.refusedVariable(at, variable)));
    c.files().keySet().forEach(file -> refusals.add(HandoffNames.refusedFile(at, file)));
    for (Optional<String> refusal : refusals) {
      refusal.ifPresent(why -> {
        throw new BrokerException("handoff", "write the credential hand-off to " + destination, -1,
            why + "; the session would refuse it, so nothing is handed off");
      });
    }
  }

  /**
   * Writes {@code entries} to {@code file}, which must not exist yet (created 0600, never through a
   * link), journalling nothing ({@link HandoffFile#write} journals its removal).
   *
   * @throws BrokerException (exit 122) if the file exists or cannot be written; nothing is left
   */
  static void write(Path file, List<Entry> entries) {
    HandoffFile.write(file, entries, HandoffFile.NOT_JOURNALLED);
  }

  /**
   * Reads the hand-off in {@code file} and deletes it, whatever its content: a refused hand-off is
   * not left for another reader.
   *
   * @throws BrokerException (exit 122) if it is missing, a link, not a regular file, owned by another
   *     user, readable or writable by anyone but its owner, replaced while read, or not a hand-off
   *     (a credential file name that is not one plain name included); the message never quotes a value
   */
  static CredentialHandoff take(Path file) {
    try {
      BasicFileAttributes before = checkedAttributes(file);
      byte[] bytes;
      // O_NOFOLLOW: a link put in its place after the check is not followed.
      try (SeekableByteChannel in = Files.newByteChannel(file, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
        bytes = java.nio.channels.Channels.newInputStream(in).readNBytes(MAX_BYTES + 1);
      }
      // The file read is the one checked: same device and inode before the open and after the read.
      BasicFileAttributes after = checkedAttributes(file);
      if (before.fileKey() == null || !before.fileKey().equals(after.fileKey())) {
        throw failure(file, "it was replaced while it was read; accepted: a file no one else can write or rename");
      }
      if (bytes.length > MAX_BYTES) {
        throw failure(file, "it is larger than " + MAX_BYTES + " bytes");
      }
      return parse(file.toString(), bytes);
    } catch (IOException e) {
      throw failure(file, "cannot read it (" + e.getClass().getSimpleName() + ")");
    } finally {
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) { // NOPMD: reported below only if nothing else failed
        throw failure(file, "cannot delete it after reading (" + e.getClass().getSimpleName() + ")");
      }
    }
  }

  /**
   * The file's own attributes (never a link's target), if it is a regular file owned by this
   * process's effective user with no group or other bits: a file another user wrote is refused,
   * whatever its mode, since that user chose its content.
   */
  private static BasicFileAttributes checkedAttributes(Path file) throws IOException {
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw failure(file, Files.exists(file, LinkOption.NOFOLLOW_LINKS)
          ? "it is not a regular file (a link or a directory); accepted: the 0600 file 'credentials issue' wrote"
          : "it does not exist (a hand-off is read once, then deleted)");
    }
    PosixFileAttributes attrs = Files.readAttributes(file, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    int owner = (Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    int self = ProcessUser.effectiveUid();
    if (owner != self) {
      throw failure(file, "it is owned by uid " + owner + "; accepted: a file owned by the user opening the session"
          + " (uid " + self + ")");
    }
    Set<PosixFilePermission> mode = attrs.permissions();
    if (mode.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
      throw failure(file, "its mode is " + PosixFilePermissions.toString(mode) + "; accepted: rw------- (0600)");
    }
    return attrs;
  }

  /**
   * Reads a hand-off from {@code bytes} ({@code source} names where they came from in messages).
   *
   * @throws BrokerException (exit 122) if the bytes are not a hand-off; the message never quotes a value
   */
  static CredentialHandoff parse(String file, byte[] bytes) {
    JsonNode root;
    try {
      root = JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw failure(file, "it is not JSON; accepted: the hand-off 'credentials issue' wrote");
    }
    if (root == null || !FORMAT.equals(root.path("format").asText())) {
      throw failure(file, "its format is not " + FORMAT);
    }
    List<Entry> entries = new ArrayList<>();
    List<Withheld> withheld = new ArrayList<>();
    int index = 0;
    for (JsonNode node : root.path("credentials")) {
      String at = "credentials[" + index++ + "]";
      String name = text(file, node, "name", at);
      String kind = text(file, node, "kind", at);
      if (!Set.of("github-token", "vault-token", "vault-secret").contains(kind)) {
        throw failure(file, at + ".kind " + dev.taskbound.core.SafeText.quoted(kind) + " is not accepted; accepted:"
            + " github-token, vault-token, vault-secret");
      }
      Optional<Instant> expires = Optional.empty();
      if (node.hasNonNull("expires_at")) {
        try {
          expires = Optional.of(Instant.parse(node.get("expires_at").asText()));
        } catch (java.time.format.DateTimeParseException e) {
          throw failure(file, at + ".expires_at is not an ISO-8601 instant");
        }
      }
      if (!node.has("value")) {
        withheld.add(withheld(file, node, at, name, kind, expires));
        continue;
      }
      if (node.has("fingerprint")) {
        throw failure(file, at + " has both value and fingerprint; accepted: one of the two");
      }
      Secret value = Secret.of(text(file, node, "value", at));
      Map<String, String> env = new LinkedHashMap<>();
      fields(node.path("environment")).forEachRemaining(f -> {
        HandoffNames.refusedVariable(at, f.getKey()).ifPresent(why -> {
          throw failure(file, why);
        });
        env.put(f.getKey(), f.getValue().asText());
      });
      Map<String, Secret> files = new LinkedHashMap<>();
      fields(node.path("files")).forEachRemaining(f -> {
        HandoffNames.refusedFile(at, f.getKey()).ifPresent(why -> {
          throw failure(file, why);
        });
        files.put(f.getKey(), Secret.of(f.getValue().asText()));
      });
      Optional<String> apiUrl = node.hasNonNull("api_url") ? Optional.of(node.get("api_url").asText()) : Optional.empty();
      entries.add(new Entry(new IssuedCredential(name, kind, value, expires, env, files), node.path("scope"), apiUrl));
    }
    if (entries.isEmpty() && withheld.isEmpty()) {
      throw failure(file, "it holds no credentials");
    }
    return new CredentialHandoff(entries, withheld);
  }

  /** A credential without a value: only the Vault child token, named by its fingerprint, exposed nowhere. */
  private static Withheld withheld(String file, JsonNode node, String at, String name, String kind,
      Optional<Instant> expires) {
    if (!kind.equals(VAULT_TOKEN)) {
      throw failure(file, at + " (" + dev.taskbound.core.SafeText.quoted(name) + ", " + kind + ") carries no value;"
          + " accepted: a value for every credential but the Vault child token (" + VAULT_TOKEN + ")");
    }
    JsonNode fingerprint = node.get("fingerprint");
    if (fingerprint == null || !fingerprint.isTextual() || !FINGERPRINT.matcher(fingerprint.asText()).matches()) {
      throw failure(file, at + ".fingerprint is missing or not one; accepted: sha256: and 12 lowercase hex digits");
    }
    if (fields(node.path("environment")).hasNext() || fields(node.path("files")).hasNext()) {
      throw failure(file, at + " carries no value but names variables or files; accepted: none for a credential"
          + " whose value stays with the issuer");
    }
    return new Withheld(name, kind, fingerprint.asText(), expires, node.path("scope"));
  }

  private static Iterator<Map.Entry<String, JsonNode>> fields(JsonNode node) {
    return node.isObject() ? node.fields() : java.util.Collections.emptyIterator();
  }

  private static String text(String file, JsonNode node, String field, String at) {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual() || v.asText().isEmpty()) {
      throw failure(file, at + "." + field + " is missing or not a string");
    }
    return v.asText();
  }

  static BrokerException failure(Path file, String detail) {
    return failure(file.toString(), detail);
  }

  /** {@code source}: the file, or {@link CredentialHandoffInput#SOURCE}. */
  static BrokerException failure(String source, String detail) {
    return new BrokerException("handoff", "read the credential hand-off " + source, -1, detail);
  }

  /** Names what is handed off, never a value. */
  @Override
  public String toString() {
    return "CredentialHandoff" + entries.stream().map(e -> e.credential().name() + ":" + e.credential().kind()).toList()
        + (withheld.isEmpty() ? "" : ", withheld " + withheld.stream().map(w -> w.name() + ":" + w.kind()).toList());
  }
}
