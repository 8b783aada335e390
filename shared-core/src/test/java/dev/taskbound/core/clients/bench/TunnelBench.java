package dev.taskbound.core.clients.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * Not a test: a small load client for bench/proxy-bench.sh. Each operation opens a new TCP
 * connection, sends {@code CONNECT} (unless direct), does a TLS handshake with the origin and one
 * small GET; bounded in count and time.
 *
 * <pre>
 * TunnelBench rate PROXY HOST PORT CA_PEM SECONDS MAX_OPS THREADS
 *     new tunnels per second and per-operation latency p50/p99 (after a 2 s / 500 op warm-up)
 * TunnelBench hold PROXY HOST PORT CA_PEM COUNT HOLD_SECONDS
 *     opens COUNT tunnels (one keep-alive GET each), keeps them open HOLD_SECONDS, closes them
 * TunnelBench latency LABEL=PROXY[,LABEL=PROXY...] HOST PORT CA_PEM OPS_PER_PATH MAX_SECONDS
 *     one thread, the paths taken in turn operation by operation (so machine noise and the
 *     client's own warm-up hit every path alike); p50/p90/p99 per path. With
 *     TUNNELBENCH_SAMPLES_DIR set, each path's samples (ms, one a line) are appended to
 *     LABEL.samples there, for pooling across client JVMs
 * PROXY: direct | HOST:PORT | env (from HTTPS_PROXY)
 * </pre>
 */
public final class TunnelBench {
  private final InetSocketAddress proxy; // null: direct
  private final String host;
  private final int port;
  private final SSLSocketFactory tls;

  private TunnelBench(InetSocketAddress proxy, String host, int port, SSLSocketFactory tls) {
    this.proxy = proxy;
    this.host = host;
    this.port = port;
    this.tls = tls;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 8 && args.length != 7) {
      System.err.println("usage: TunnelBench rate PROXY HOST PORT CA_PEM SECONDS MAX_OPS THREADS"
          + " | hold PROXY HOST PORT CA_PEM COUNT HOLD_SECONDS"
          + " | latency LABEL=PROXY[,LABEL=PROXY...] HOST PORT CA_PEM OPS_PER_PATH MAX_SECONDS");
      System.exit(2);
    }
    if (args[0].equals("latency")) {
      latency(args, Integer.parseInt(args[5]), Integer.parseInt(args[6]));
      System.exit(0);
    }
    TunnelBench b = new TunnelBench(proxy(args[1]), args[2], Integer.parseInt(args[3]), sslFactory(Path.of(args[4])));
    if (args[0].equals("rate")) {
      b.rate(Integer.parseInt(args[5]), Integer.parseInt(args[6]), Integer.parseInt(args[7]));
    } else {
      b.hold(Integer.parseInt(args[5]), Integer.parseInt(args[6]));
    }
    System.exit(0);
  }

  private static InetSocketAddress proxy(String spec) {
    if (spec.equals("direct")) {
      return null;
    }
    if (spec.equals("env")) {
      URI u = URI.create(System.getenv("HTTPS_PROXY"));
      return new InetSocketAddress(u.getHost(), u.getPort());
    }
    int colon = spec.lastIndexOf(':');
    return new InetSocketAddress(spec.substring(0, colon), Integer.parseInt(spec.substring(colon + 1)));
  }

  private static SSLSocketFactory sslFactory(Path caPem) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(caPem)) {
      ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx.getSocketFactory();
  }

  /** Opens a tunnel (or direct connection), handshakes TLS and sends one GET; returns the TLS socket after the full response. */
  private SSLSocket open(boolean keepAlive) throws IOException {
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.connect(proxy != null ? proxy : new InetSocketAddress(host, port), 5000);
      s.setSoTimeout(10_000);
      if (proxy != null) {
        String target = host + ":" + port;
        s.getOutputStream().write(("CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        String head = readProxyHead(s.getInputStream());
        if (!head.startsWith("HTTP/1.1 200") && !head.startsWith("HTTP/1.0 200")) {
          throw new IOException("CONNECT refused: " + head.lines().findFirst().orElse(""));
        }
      }
      SSLSocket t = (SSLSocket) tls.createSocket(s, host, port, true);
      SSLParameters p = t.getSSLParameters();
      p.setEndpointIdentificationAlgorithm("HTTPS");
      t.setSSLParameters(p);
      t.startHandshake();
      OutputStream out = t.getOutputStream();
      out.write(("GET /small HTTP/1.1\r\nHost: " + host + ":" + port + "\r\n" + (keepAlive ? "" : "Connection: close\r\n") + "\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = t.getInputStream();
      String head = readHead(in);
      if (!head.startsWith("HTTP/1.1 200")) {
        throw new IOException("origin said: " + head.lines().findFirst().orElse(""));
      }
      int length = contentLength(head);
      if (in.readNBytes(length).length != length) {
        throw new IOException("short body");
      }
      return t;
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /**
   * Reads the proxy's answer to CONNECT in chunks (not a syscall per byte, which would bias the
   * proxied figures): nothing follows it until we send the TLS ClientHello.
   */
  private static String readProxyHead(InputStream in) throws IOException {
    byte[] buf = new byte[4096];
    int n = 0;
    while (n < buf.length) {
      int r = in.read(buf, n, buf.length - n);
      if (r < 0) {
        throw new IOException("proxy closed the connection after " + n + " bytes");
      }
      n += r;
      String head = new String(buf, 0, n, StandardCharsets.ISO_8859_1);
      if (head.endsWith("\r\n\r\n")) {
        return head;
      }
    }
    throw new IOException("proxy response head too long");
  }

  /** Reads a response head byte by byte from the TLS stream (which buffers), leaving the body unread. */
  private static String readHead(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    byte[] one = new byte[1];
    while (sb.length() < 16384) {
      if (in.read(one) < 0) {
        throw new IOException("connection closed after " + sb.length() + " bytes of the response head");
      }
      sb.append((char) (one[0] & 0xff));
      if (sb.length() >= 4 && sb.charAt(sb.length() - 1) == '\n' && sb.substring(sb.length() - 4).equals("\r\n\r\n")) {
        return sb.toString();
      }
    }
    throw new IOException("response head too long");
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
        return Integer.parseInt(line.substring(15).strip());
      }
    }
    return 0;
  }

  private static void latency(String[] args, int opsPerPath, int maxSeconds) throws Exception {
    String[] specs = args[1].split(",");
    SSLSocketFactory tls = sslFactory(Path.of(args[4]));
    List<String> labels = new ArrayList<>();
    List<TunnelBench> paths = new ArrayList<>();
    for (String spec : specs) {
      String[] kv = spec.split("=", 2);
      labels.add(kv[0]);
      paths.add(new TunnelBench(proxy(kv[1]), args[2], Integer.parseInt(args[3]), tls));
    }
    long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    for (int i = 0; i < 300 && System.nanoTime() < warmEnd; i++) {
      paths.get(i % paths.size()).open(false).close();
    }
    long[][] lat = new long[paths.size()][opsPerPath];
    int[] errors = new int[paths.size()];
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(maxSeconds);
    int done = 0;
    for (; done < opsPerPath && System.nanoTime() < deadline; done++) {
      for (int p = 0; p < paths.size(); p++) {
        long t0 = System.nanoTime();
        try {
          paths.get(p).open(false).close();
        } catch (IOException e) {
          errors[p]++;
        }
        lat[p][done] = System.nanoTime() - t0;
      }
    }
    String samplesDir = System.getenv("TUNNELBENCH_SAMPLES_DIR"); // pooled across client JVMs by the script
    for (int p = 0; p < paths.size(); p++) {
      long[] sorted = Arrays.copyOf(lat[p], done);
      if (samplesDir != null) {
        StringBuilder lines = new StringBuilder();
        for (long ns : sorted) {
          lines.append(String.format(java.util.Locale.ROOT, "%.4f%n", ns / 1e6));
        }
        java.nio.file.Files.writeString(Path.of(samplesDir, labels.get(p) + ".samples"), lines,
            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
      }
      Arrays.sort(sorted);
      System.out.printf("latency path=%s ops=%d errors=%d p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f mean_ms=%.3f%n",
          labels.get(p), done, errors[p], pct(sorted, 0.50), pct(sorted, 0.90), pct(sorted, 0.99),
          Arrays.stream(sorted).average().orElse(Double.NaN) / 1e6);
    }
  }

  private void rate(int seconds, int maxOps, int threads) throws Exception {
    long warmEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    for (int i = 0; i < 500 && System.nanoTime() < warmEnd; i++) {
      open(false).close();
    }
    AtomicInteger remaining = new AtomicInteger(maxOps);
    AtomicInteger errors = new AtomicInteger();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    List<long[]> perThread = new ArrayList<>();
    List<Thread> workers = new ArrayList<>();
    int[] counts = new int[threads];
    long start = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      long[] lat = new long[maxOps];
      perThread.add(lat);
      int id = t;
      Thread w = new Thread(() -> {
        int n = 0;
        while (System.nanoTime() < deadline && remaining.getAndDecrement() > 0) {
          long t0 = System.nanoTime();
          try {
            open(false).close();
            lat[n++] = System.nanoTime() - t0;
          } catch (IOException e) {
            errors.incrementAndGet();
          }
        }
        counts[id] = n;
      });
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    int total = Arrays.stream(counts).sum();
    long[] all = new long[total];
    int k = 0;
    for (int t = 0; t < threads; t++) {
      System.arraycopy(perThread.get(t), 0, all, k, counts[t]);
      k += counts[t];
    }
    Arrays.sort(all);
    System.out.printf("rate ops=%d errors=%d seconds=%.2f per_second=%.1f p50_ms=%.3f p99_ms=%.3f threads=%d%n",
        total, errors.get(), elapsed, total / elapsed, pct(all, 0.50), pct(all, 0.99), threads);
  }

  private static double pct(long[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1e6;
  }

  private void hold(int count, int holdSeconds) throws Exception {
    List<SSLSocket> open = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicInteger failed = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(16);
    long t0 = System.nanoTime();
    for (int i = 0; i < count; i++) {
      pool.execute(() -> {
        try {
          open.add(open(true));
        } catch (IOException e) {
          if (failed.getAndIncrement() == 0) {
            System.err.println("first failure: " + e);
          }
        }
      });
    }
    pool.shutdown();
    if (!pool.awaitTermination(120, TimeUnit.SECONDS)) {
      pool.shutdownNow();
    }
    System.out.printf("held ok=%d failed=%d of=%d open_ms=%.0f%n", open.size(), failed.get(), count, (System.nanoTime() - t0) / 1e6);
    System.out.flush();
    // Keep them open for the script to read the proxies' RSS; then check they all still work.
    Thread.sleep(TimeUnit.SECONDS.toMillis(holdSeconds));
    int alive = 0;
    for (SSLSocket s : open) {
      try {
        s.getOutputStream().write(("GET /small HTTP/1.1\r\nHost: " + host + ":" + port + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        if (readHead(s.getInputStream()).startsWith("HTTP/1.1 200")) {
          alive++;
        }
      } catch (IOException e) {
        // counted as not alive
      } finally {
        s.close();
      }
    }
    System.out.printf("after_hold alive=%d of=%d%n", alive, count);
  }
}
