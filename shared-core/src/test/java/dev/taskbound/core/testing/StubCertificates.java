package dev.taskbound.core.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * TLS files for a loopback stand-in of public hosts (issue 15: the upstream the inspecting gateway
 * verifies): a throw-away test CA and a server key store whose certificate names every given host,
 * made with the JDK's keytool. The gateway is told to trust {@link Files#caPem()} through the host
 * setting {@code TASKBOUND_INSPECT_UPSTREAM_CA}; nothing else trusts it.
 */
public final class StubCertificates {
  /** The store password of {@link Files#serverKeyStore()} (and of its key). */
  public static final String PASSWORD = "changeit";

  /**
   * @param serverKeyStore PKCS12 with the server's key and certificate chain
   * @param caPem the test CA's certificate
   */
  public record Files(Path serverKeyStore, Path caPem) {}

  private StubCertificates() {}

  /** Writes the CA and a server certificate naming {@code hosts} (DNS names) into {@code dir}. */
  public static Files forHosts(Path dir, String... hosts) throws Exception {
    Path ca = dir.resolve("stub-ca.p12");
    Path server = dir.resolve("stub-server.p12");
    Path caPem = dir.resolve("stub-ca.pem");
    Path csr = dir.resolve("stub.csr");
    Path leaf = dir.resolve("stub.pem");
    StringBuilder san = new StringBuilder();
    for (String h : hosts) {
      san.append(san.length() == 0 ? "SAN=" : ",").append("dns:").append(h);
    }
    keytool("-genkeypair", "-alias", "ca", "-keystore", ca.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD,
        "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=Taskbound Stub CA", "-ext", "bc:c", "-validity", "2");
    keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", PASSWORD, "-file", caPem.toString());
    keytool("-genkeypair", "-alias", "server", "-keystore", server.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD,
        "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + hosts[0], "-validity", "2");
    keytool("-certreq", "-alias", "server", "-keystore", server.toString(), "-storepass", PASSWORD, "-file", csr.toString());
    keytool("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-storepass", PASSWORD, "-infile", csr.toString(),
        "-outfile", leaf.toString(), "-rfc", "-validity", "2", "-ext", san.toString(), "-ext", "EKU=serverAuth",
        "-ext", "KU=digitalSignature");
    keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore", server.toString(),
        "-storepass", PASSWORD);
    keytool("-importcert", "-noprompt", "-alias", "server", "-file", leaf.toString(), "-keystore", server.toString(),
        "-storepass", PASSWORD);
    return new Files(server, caPem);
  }

  private static void keytool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("keytool " + args[0] + " failed: " + out);
    }
  }
}
