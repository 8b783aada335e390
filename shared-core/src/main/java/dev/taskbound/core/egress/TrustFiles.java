package dev.taskbound.core.egress;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What a sandbox needs to trust a {@link SessionCa}, all public: the CA certificate
 * ({@code ca.pem}), the system's CA bundle with it appended ({@code ca-bundle.pem}) and a JVM trust
 * store of the JDK's CAs plus it ({@code truststore.p12}), and the variables that point the common
 * clients at them. Immutable.
 */
public final class TrustFiles {
  /** Where Debian, Ubuntu, Fedora and Alpine keep the system's CA bundle; the first that exists is used. */
  public static final List<Path> SYSTEM_BUNDLES = List.of(Path.of("/etc/ssl/certs/ca-certificates.crt"),
      Path.of("/etc/pki/tls/certs/ca-bundle.crt"), Path.of("/etc/ssl/cert.pem"));
  /** A trust store holds certificates only: its password protects nothing and is no secret. */
  static final String TRUST_STORE_PASSWORD = "changeit";

  private final Path dir;

  private TrustFiles(Path dir) {
    this.dir = dir;
  }

  /**
   * Creates {@code dir} (0755) and writes the three files (0644).
   *
   * @throws IOException if the directory exists or a file cannot be written
   */
  public static TrustFiles write(SessionCa ca, Path dir) throws IOException {
    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    String pem = ca.certificatePem();
    write(dir.resolve("ca.pem"), pem.getBytes(StandardCharsets.ISO_8859_1));
    Optional<Path> system = SYSTEM_BUNDLES.stream().filter(Files::isRegularFile).findFirst();
    String systemCas = system.isPresent() ? Files.readString(system.get(), StandardCharsets.ISO_8859_1) : "";
    String bundle = systemCas + (systemCas.isEmpty() || systemCas.endsWith("\n") ? "" : "\n") + pem;
    write(dir.resolve("ca-bundle.pem"), bundle.getBytes(StandardCharsets.ISO_8859_1));
    try {
      write(dir.resolve("truststore.p12"), trustStore(ca.certificate()));
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot make the JVM trust store: " + e, e);
    }
    return new TrustFiles(dir);
  }

  /** The directory the sandbox must see, read-only. */
  public Path dir() {
    return dir;
  }

  /** The CA certificate alone. */
  public Path caCertificate() {
    return dir.resolve("ca.pem");
  }

  /** The system's CAs and the session CA. */
  public Path bundle() {
    return dir.resolve("ca-bundle.pem");
  }

  /**
   * The variables that make the common clients trust the session CA: curl, git, OpenSSL-based tools,
   * Python requests, pip and npm ({@code NPM_CONFIG_CAFILE}) read the combined bundle; Node adds the
   * CA to its own; every JVM gets a
   * trust store of the JDK's CAs and the session's ({@code JAVA_TOOL_OPTIONS}; the sandbox appends
   * its proxy settings to it).
   */
  public Map<String, String> environment() {
    Map<String, String> env = new TreeMap<>();
    for (String name : List.of("SSL_CERT_FILE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO", "REQUESTS_CA_BUNDLE", "PIP_CERT")) {
      env.put(name, bundle().toString());
    }
    env.put("NODE_EXTRA_CA_CERTS", caCertificate().toString());
    // npm gives node its own CA list, which replaces node's (NODE_EXTRA_CA_CERTS included): its cafile.
    env.put("NPM_CONFIG_CAFILE", bundle().toString());
    env.put("JAVA_TOOL_OPTIONS", "-Djavax.net.ssl.trustStore=" + dir.resolve("truststore.p12")
        + " -Djavax.net.ssl.trustStoreType=PKCS12 -Djavax.net.ssl.trustStorePassword=" + TRUST_STORE_PASSWORD);
    return env;
  }

  private static void write(Path file, byte[] content) throws IOException {
    Files.write(Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--"))),
        content);
  }

  private static byte[] trustStore(X509Certificate ca) throws IOException, GeneralSecurityException {
    KeyStore out = KeyStore.getInstance("PKCS12");
    out.load(null, null);
    Path cacerts = Path.of(System.getProperty("java.home"), "lib", "security", "cacerts");
    if (Files.isRegularFile(cacerts)) {
      KeyStore jdk = KeyStore.getInstance(KeyStore.getDefaultType());
      try (InputStream in = Files.newInputStream(cacerts)) {
        jdk.load(in, null);
      }
      for (String alias : java.util.Collections.list(jdk.aliases())) {
        if (jdk.isCertificateEntry(alias)) {
          out.setCertificateEntry(alias, jdk.getCertificate(alias));
        }
      }
    }
    out.setCertificateEntry("taskbound-session-ca", ca);
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (OutputStream o = bytes) {
      out.store(o, TRUST_STORE_PASSWORD.toCharArray());
    }
    return bytes.toByteArray();
  }
}
