package dev.taskbound.core.evidence;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;

/**
 * Seals an evidence log: signs its session, event count and final hash, and the SHA-256 of every
 * other member of the bundle it goes into, with a {@link SealingKey} into {@code seal.json} (format
 * in docs/evidence.md). Events appended after sealing are outside the seal and make {@link
 * BundleVerifier} report the log as appended to; a member edited, added or removed after sealing
 * makes it report that member.
 */
public final class Sealer {
  /** The {@code typ} header of a seal JWS. */
  public static final String TYPE = "taskbound-seal+jws";
  /** v2 signs the bundle's other members too; v1 (before) only the chain, and is still verified. */
  static final String FORMAT = "taskbound-seal/v2";

  private Sealer() {}

  /**
   * Writes {@code sealFile} (replaced atomically if present) and returns it; {@code sealed_at} is
   * the system UTC time.
   *
   * @param members the bundle's other members by name (all but {@code events.jsonl}, which the
   *     chain covers, and {@code seal.json}), as {@link BundleWriter#render} made them
   * @throws EvidenceException if signing or writing fails
   */
  public static Path seal(EvidenceLog log, SealingKey key, Path sealFile, Map<String, byte[]> members) {
    return seal(log, key, sealFile, Clock.systemUTC(), members);
  }

  /** As {@link #seal(EvidenceLog, SealingKey, Path, Map)}, with {@code sealed_at} from {@code clock}. */
  public static Path seal(EvidenceLog log, SealingKey key, Path sealFile, Clock clock, Map<String, byte[]> members) {
    if (members.containsKey(Bundle.EVENTS) || members.containsKey(Bundle.SEAL)) {
      throw new IllegalArgumentException("the chain covers " + Bundle.EVENTS + " and the seal is not its own member");
    }
    EvidenceLog.Head head = log.head();
    ObjectNode payload = CanonicalJson.MAPPER.createObjectNode();
    payload.put("session", log.sessionId());
    payload.put("count", head.count());
    payload.put("final_hash", head.lastHash());
    payload.put("kid", key.keyId());
    payload.put("sealed_at", EvidenceEvent.TS.format(Instant.now(clock)));
    ObjectNode digests = payload.putObject("members");
    members.forEach((name, bytes) -> digests.put(name, digest(bytes)));
    JWSObject jws = new JWSObject(
        new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.keyId()).type(new JOSEObjectType(TYPE)).build(),
        new Payload(CanonicalJson.bytes(payload)));
    try {
      jws.sign(new ECDSASigner(key.privateKey()));
    } catch (JOSEException e) {
      throw new EvidenceException("cannot sign the evidence seal with key " + key.keyId() + ": " + e.getMessage(), e);
    }
    ObjectNode seal = CanonicalJson.MAPPER.createObjectNode();
    seal.put("format", FORMAT);
    seal.setAll(payload);
    seal.put("jws", jws.serialize());
    try {
      byte[] bytes = CanonicalJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(seal);
      Path dir = sealFile.toAbsolutePath().getParent();
      Path tmp = Files.createTempFile(dir, ".seal.", ".tmp");
      try {
        Files.write(tmp, bytes);
        Files.move(tmp, sealFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new EvidenceException("cannot write seal " + sealFile + ": " + e.getMessage(), e);
    }
    return sealFile;
  }

  /** How the seal names a member's content: {@code sha256:} and 64 lowercase hex digits. */
  static String digest(byte[] bytes) {
    return "sha256:" + Fingerprint.sha256Hex(bytes);
  }
}
