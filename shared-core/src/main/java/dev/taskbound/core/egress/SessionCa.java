package dev.taskbound.core.egress;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A session's own certificate authority for the inspected hosts ({@code egress.inspect}): an ECDSA
 * P-256 key that exists only in this object (never written anywhere), a self-signed CA certificate
 * the sandbox trusts, and a leaf certificate per inspected host, minted on first use and cached.
 * The CA is limited to what the gateway needs: {@code pathLen 0}, name constraints are not needed
 * because the sandbox trusts it for this session only and it dies with the session.
 *
 * <p>Thread-safe. {@link #close()} forgets the key and every leaf: no new connection can be served.
 */
public final class SessionCa implements AutoCloseable {
  /** Leaves and the CA outlive the longest session (8 h) with room for clock skew. */
  private static final Duration VALIDITY = Duration.ofHours(12);
  private static final Duration BACKDATE = Duration.ofMinutes(5);

  private final X509Certificate certificate;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, SSLContext> leaves = new ConcurrentHashMap<>();
  /** The agent-side TLS per host, made from the same leaf as {@link #leaves}. */
  private final Map<String, AgentTls> agentSides = new ConcurrentHashMap<>();
  /** One leaf key for every host: a per-host key buys nothing when one process holds them all. */
  private volatile KeyPair leafKey;
  private volatile KeyPair caKey;

  private SessionCa(KeyPair caKey, X509Certificate certificate, KeyPair leafKey, Clock clock) {
    this.caKey = caKey;
    this.certificate = certificate;
    this.leafKey = leafKey;
    this.clock = clock;
  }

  /**
   * Generates a fresh CA named after the session.
   *
   * @param sessionLabel a short label for the certificate's subject, e.g. the session id
   * @throws IllegalStateException if the JDK lacks ECDSA P-256 (every supported JDK has it)
   */
  public static SessionCa generate(String sessionLabel, Clock clock) {
    Objects.requireNonNull(sessionLabel, "sessionLabel");
    Objects.requireNonNull(clock, "clock");
    try {
      KeyPair ca = ecKey();
      Instant now = clock.instant();
      X500Name subject = new X500Name("CN=Taskbound session CA " + sessionLabel.replaceAll("[^A-Za-z0-9._-]", "_")
          + ",O=Taskbound");
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(new SecureRandom()),
          Date.from(now.minus(BACKDATE)), Date.from(now.plus(VALIDITY)), subject, ca.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
          .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(ca.getPublic()));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer(ca)));
      return new SessionCa(ca, cert, ecKey(), clock);
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot generate the session CA: " + e, e);
    }
  }

  /** The CA certificate (public). */
  public X509Certificate certificate() {
    return certificate;
  }

  /** The CA certificate as PEM, for the sandbox's trust bundle. */
  public String certificatePem() {
    return pem(certificate);
  }

  /**
   * A server-side TLS context presenting a leaf for {@code host} signed by this CA (minted once).
   *
   * @throws IllegalStateException if the CA was closed
   */
  SSLContext serverContext(String host) {
    return leaves.computeIfAbsent(host, this::mint);
  }

  /**
   * The TLS the agent meets on {@code host}: the same leaf as {@link #serverContext}, through
   * BoringSSL where it loads ({@link AgentTls}). Made once per host.
   *
   * @throws IllegalStateException if the CA was closed
   */
  AgentTls agentTls(String host) {
    return agentSides.computeIfAbsent(host, h -> {
      SSLContext jdk = serverContext(h);
      KeyPair leaf = leafKey;
      X509Certificate cert = leafCertificates.get(h);
      if (leaf == null || cert == null) {
        throw new IllegalStateException("the session CA is closed");
      }
      return AgentTls.of(leaf.getPrivate(), cert, certificate, jdk);
    });
  }

  /** Each host's leaf certificate (public), minted with its {@link #leaves} entry. */
  private final Map<String, X509Certificate> leafCertificates = new ConcurrentHashMap<>();

  private SSLContext mint(String host) {
    KeyPair ca = caKey;
    KeyPair leaf = leafKey;
    if (ca == null || leaf == null) {
      throw new IllegalStateException("the session CA is closed");
    }
    try {
      Instant now = clock.instant();
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      boolean ip = IpLiteral.tryParse(host.contains(":") ? "[" + host + "]" : host) != null;
      GeneralName san = new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, host);
      X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
          X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()), serial(random),
          Date.from(now.minus(BACKDATE)), Date.from(now.plus(VALIDITY)), new X500Name("CN=" + host), leaf.getPublic())
          .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
          .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
          .addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
          .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(san))
          .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(certificate));
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(b.build(signer(ca)));
      leafCertificates.put(host, cert);
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      char[] pass = new char[0];
      ks.setKeyEntry("leaf", leaf.getPrivate(), pass, new java.security.cert.Certificate[] {cert, certificate});
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, pass);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      return ctx;
    } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
      throw new IllegalStateException("cannot mint a certificate for " + host + ": " + e, e);
    }
  }

  /** Forgets the CA key, the leaf key and every leaf. Idempotent. */
  @Override
  public void close() {
    caKey = null;
    leafKey = null;
    leaves.clear();
    leafCertificates.clear();
    agentSides.values().forEach(AgentTls::close);
    agentSides.clear();
  }

  static String pem(X509Certificate cert) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(cert);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write a PEM certificate", e);
    }
    return out.toString();
  }

  private static KeyPair ecKey() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  private static ContentSigner signer(KeyPair key) throws OperatorCreationException {
    return new JcaContentSignerBuilder("SHA256withECDSA").build(key.getPrivate());
  }

  private static BigInteger serial(SecureRandom random) {
    return new BigInteger(120, random).add(BigInteger.ONE);
  }
}
