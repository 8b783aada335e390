package dev.taskbound.core.egress;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.security.KeyStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.TrustManagerFactory;

/**
 * Not a test: the CPU the agent side of an inspected connection costs, the JDK's engine against
 * BoringSSL's ({@link AgentTls}), in one JVM, rounds interleaved, warm-up rounds dropped. Thread CPU
 * time of the server engine's calls only (the JDK client's work is not counted), so it reads the
 * same on a loaded machine. Run by {@code bench/agent-tls.sh}.
 *
 * <pre>java -cp ... dev.taskbound.core.egress.AgentTlsBench [HANDSHAKES] [MIB] [ROUNDS]</pre>
 */
public final class AgentTlsBench {
  private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
  private static final int RECORD = 16 * 1024;

  private AgentTlsBench() {}

  public static void main(String[] args) throws Exception {
    int handshakes = args.length > 0 ? Integer.parseInt(args[0]) : 200;
    int mib = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    SessionCa ca = SessionCa.generate("agent-tls-bench", Clock.systemUTC());
    Map<String, AgentTls> kinds = new TreeMap<>();
    kinds.put("jdk", AgentTls.jdkOnly(ca.serverContext("origin.test")));
    kinds.put("boringssl", ca.agentTls("origin.test"));
    if (!kinds.get("boringssl").isNative()) {
      throw new IllegalStateException("BoringSSL did not load");
    }
    SSLContext client = clientContext(ca);
    Map<String, List<double[]>> results = new TreeMap<>();
    for (int round = 0; round < rounds + 2; round++) {
      for (var k : kinds.entrySet()) {
        double[] r = {handshakeCpuMillis(k.getValue(), client, handshakes),
            encryptNsPerByte(k.getValue(), client, mib), decryptNsPerByte(k.getValue(), client, mib)};
        if (round >= 2) { // the first two rounds warm both engines and the JIT
          results.computeIfAbsent(k.getKey(), x -> new ArrayList<>()).add(r);
        }
      }
    }
    System.out.printf("agent-side TLS, server engine CPU only, median of %d rounds (%d handshakes, %d MiB each way per round)%n",
        rounds, handshakes, mib);
    for (var e : results.entrySet()) {
      System.out.printf("  %-10s handshake %.3f ms CPU   encrypt %.3f ns/B (%.0f MB/s of one core)   decrypt %.3f ns/B (%.0f MB/s)%n",
          e.getKey(), median(e.getValue(), 0), median(e.getValue(), 1), 1e3 / median(e.getValue(), 1),
          median(e.getValue(), 2), 1e3 / median(e.getValue(), 2));
    }
    double[] j = {median(results.get("jdk"), 0), median(results.get("jdk"), 1), median(results.get("jdk"), 2)};
    double[] b = {median(results.get("boringssl"), 0), median(results.get("boringssl"), 1), median(results.get("boringssl"), 2)};
    System.out.printf("  boringssl/jdk: handshake %.2fx, encrypt %.2fx, decrypt %.2fx the CPU%n", b[0] / j[0], b[1] / j[1], b[2] / j[2]);
    ca.close();
  }

  private static double median(List<double[]> rows, int col) {
    double[] v = rows.stream().mapToDouble(r -> r[col]).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** A pair of engines and the server's CPU spent so far. */
  private static final class Pair {
    final SSLEngine server;
    final SSLEngine client;
    long serverCpu;
    final ByteBuffer toServer = ByteBuffer.allocateDirect(64 * 1024);
    final ByteBuffer toClient = ByteBuffer.allocateDirect(64 * 1024);

    Pair(AgentTls tls, SSLContext clientCtx) {
      server = tls.newEngine();
      client = clientCtx.createSSLEngine("origin.test", 443);
      client.setUseClientMode(true);
    }

    /** Runs the handshake in memory; only the server's calls are timed. */
    void handshake() throws Exception {
      ByteBuffer empty = ByteBuffer.allocate(0);
      ByteBuffer sink = ByteBuffer.allocate(64 * 1024);
      client.beginHandshake();
      timed(() -> server.beginHandshake());
      // BoringSSL's server still says NEED_UNWRAP after the client's Finished until application data
      // comes (its session tickets go out with the next wrap): done once the client is and the server
      // has read all it was sent.
      for (int i = 0; i < 100 && !(done(client) && (done(server) || toServer.position() == 0 && i > 0)); i++) {
        step(client, false, empty, sink);
        step(server, true, empty, sink);
      }
      if (!done(client) || toServer.position() > 0) {
        throw new IllegalStateException("the handshake did not finish: client " + client.getHandshakeStatus()
            + ", server " + server.getHandshakeStatus() + " (" + server.getClass().getSimpleName() + ")");
      }
    }

    private static boolean done(SSLEngine e) {
      var hs = e.getHandshakeStatus();
      return hs == SSLEngineResult.HandshakeStatus.NOT_HANDSHAKING || hs == SSLEngineResult.HandshakeStatus.FINISHED;
    }

    private void step(SSLEngine e, boolean isServer, ByteBuffer empty, ByteBuffer sink) throws Exception {
      ByteBuffer out = isServer ? toClient : toServer;
      ByteBuffer in = isServer ? toServer : toClient;
      for (int guard = 0; guard < 20; guard++) {
        switch (e.getHandshakeStatus()) {
          case NEED_WRAP -> run(isServer, () -> e.wrap(empty, out));
          case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> {
            in.flip();
            if (!in.hasRemaining()) {
              in.compact();
              return;
            }
            run(isServer, () -> {
              sink.clear();
              SSLEngineResult r = e.unwrap(in, sink);
              if (System.getenv("AGENT_TLS_DEBUG") != null) {
                System.err.println((isServer ? "server " : "client ") + r + " left " + in.remaining());
              }
            });
            in.compact();
          }
          case NEED_TASK -> run(isServer, () -> {
            Runnable t;
            while ((t = e.getDelegatedTask()) != null) {
              t.run();
            }
          });
          default -> {
            return;
          }
        }
      }
    }

    private void run(boolean isServer, Io io) throws Exception {
      if (isServer) {
        timed(io);
      } else {
        io.run();
      }
    }

    void timed(Io io) throws Exception {
      long t0 = CPU.getCurrentThreadCpuTime();
      io.run();
      serverCpu += CPU.getCurrentThreadCpuTime() - t0;
    }

    void close() {
      AgentTls.release(server);
    }
  }

  private interface Io {
    void run() throws Exception;
  }

  private static double handshakeCpuMillis(AgentTls tls, SSLContext client, int n) throws Exception {
    long cpu = 0;
    for (int i = 0; i < n; i++) {
      Pair p = new Pair(tls, client);
      p.handshake();
      cpu += p.serverCpu;
      p.close();
    }
    return cpu / 1e6 / n;
  }

  private static Pair connected(AgentTls tls, SSLContext client) throws Exception {
    Pair p = new Pair(tls, client);
    p.handshake();
    // TLS 1.3: the server's session tickets come after the handshake; let the client read them.
    p.toClient.clear();
    p.toServer.clear();
    return p;
  }

  /** The server encrypts MIB of 16 KiB records (the download direction); nanoseconds of CPU per byte. */
  private static double encryptNsPerByte(AgentTls tls, SSLContext client, int mib) throws Exception {
    Pair p = connected(tls, client);
    boolean direct = tls.isNative();
    ByteBuffer src = direct ? ByteBuffer.allocateDirect(RECORD) : ByteBuffer.allocate(RECORD);
    ByteBuffer dst = direct ? ByteBuffer.allocateDirect(p.server.getSession().getPacketBufferSize() * 4)
        : ByteBuffer.allocate(p.server.getSession().getPacketBufferSize() * 4);
    long records = (long) mib * 1024 * 1024 / RECORD;
    long t0 = CPU.getCurrentThreadCpuTime();
    for (long i = 0; i < records; i++) {
      src.clear();
      while (src.hasRemaining()) { // BoringSSL's first record may carry less: its session tickets ride along
        dst.clear();
        SSLEngineResult r = p.server.wrap(src, dst);
        if (r.getStatus() != SSLEngineResult.Status.OK || r.bytesConsumed() == 0) {
          throw new IllegalStateException("wrap: " + r);
        }
      }
    }
    long cpu = CPU.getCurrentThreadCpuTime() - t0;
    p.close();
    return (double) cpu / (records * RECORD);
  }

  /** The server decrypts MIB of 16 KiB records the JDK client made beforehand (not timed); ns of CPU per byte. */
  private static double decryptNsPerByte(AgentTls tls, SSLContext client, int mib) throws Exception {
    Pair p = connected(tls, client);
    int records = Math.max(1, mib * 1024 * 1024 / RECORD);
    int batch = Math.min(records, 1024); // 16 MiB of client records at a time
    byte[][] made = new byte[batch][];
    ByteBuffer plain = ByteBuffer.allocate(RECORD);
    ByteBuffer rec = ByteBuffer.allocate(p.client.getSession().getPacketBufferSize());
    boolean direct = tls.isNative();
    ByteBuffer in = direct ? ByteBuffer.allocateDirect(rec.capacity()) : ByteBuffer.allocate(rec.capacity());
    ByteBuffer out = direct ? ByteBuffer.allocateDirect(RECORD * 2) : ByteBuffer.allocate(RECORD * 2);
    long cpu = 0;
    for (int done = 0; done < records; done += batch) {
      for (int i = 0; i < batch; i++) {
        plain.clear();
        rec.clear();
        p.client.wrap(plain, rec);
        rec.flip();
        made[i] = Arrays.copyOfRange(rec.array(), 0, rec.limit());
      }
      long t0 = CPU.getCurrentThreadCpuTime();
      for (int i = 0; i < batch; i++) {
        in.clear();
        in.put(made[i]).flip();
        out.clear();
        SSLEngineResult r = p.server.unwrap(in, out);
        if (r.getStatus() != SSLEngineResult.Status.OK) {
          throw new IllegalStateException("unwrap: " + r);
        }
      }
      cpu += CPU.getCurrentThreadCpuTime() - t0;
    }
    p.close();
    return (double) cpu / ((long) records * RECORD);
  }

  private static SSLContext clientContext(SessionCa ca) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca.certificate());
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }
}
