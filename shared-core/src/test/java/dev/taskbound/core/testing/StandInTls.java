package dev.taskbound.core.testing;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The TLS side of the model API stand-ins: an HTTPS server on 127.0.0.1 whose certificate names one
 * public API host (and localhost), signed by a throw-away test CA made with the JDK's keytool. The
 * agent under test trusts {@link Started#caPem()} through its own CA variable.
 */
final class StandInTls {
  /** The running server and the CA certificate (PEM) that signed its certificate. */
  record Started(HttpsServer server, Path caPem) {}

  private StandInTls() {}

  /**
   * Starts on 127.0.0.1:{@code port} (0: any free port) with no contexts yet (the caller adds its
   * handler); keys and the CA go to {@code dir}.
   */
  static Started start(Path dir, String host, int port, String threadName) throws Exception {
    Path ca = dir.resolve("ca.p12");
    Path server = dir.resolve("server.p12");
    Path caPem = dir.resolve("ca.pem");
    Path csr = dir.resolve("api.csr");
    Path leaf = dir.resolve("api.pem");
    keytool("-genkeypair", "-alias", "ca", "-keystore", ca.toString(), "-storetype", "PKCS12", "-storepass", "changeit",
        "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=Taskbound Test CA", "-ext", "bc:c", "-validity", "2");
    keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-storepass", "changeit", "-file", caPem.toString());
    keytool("-genkeypair", "-alias", "api", "-keystore", server.toString(), "-storetype", "PKCS12", "-storepass", "changeit",
        "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + host, "-validity", "2");
    keytool("-certreq", "-alias", "api", "-keystore", server.toString(), "-storepass", "changeit", "-file", csr.toString());
    keytool("-gencert", "-alias", "ca", "-keystore", ca.toString(), "-storepass", "changeit", "-infile", csr.toString(),
        "-outfile", leaf.toString(), "-rfc", "-validity", "2", "-ext", "SAN=dns:" + host + ",dns:localhost,ip:127.0.0.1",
        "-ext", "EKU=serverAuth", "-ext", "KU=digitalSignature");
    keytool("-importcert", "-noprompt", "-alias", "ca", "-file", caPem.toString(), "-keystore", server.toString(),
        "-storepass", "changeit");
    keytool("-importcert", "-noprompt", "-alias", "api", "-file", leaf.toString(), "-keystore", server.toString(),
        "-storepass", "changeit");
    HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
    https.setHttpsConfigurator(new HttpsConfigurator(sslContext(server)));
    https.setExecutor(Executors.newFixedThreadPool(8, r -> {
      Thread t = new Thread(r, threadName);
      t.setDaemon(true);
      return t;
    }));
    https.start();
    return new Started(https, caPem);
  }

  private static SSLContext sslContext(Path keyStore) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(keyStore.toFile())) {
      ks.load(in, "changeit".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, "changeit".toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return ctx;
  }

  private static void keytool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException("keytool failed: " + out);
    }
  }
}
