package dev.taskbound.core.egress;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/**
 * A local HTTPS stand-in of an API on 127.0.0.1 (the JDK's HttpsServer): records every request it
 * receives (method, path with query, the Authorization header, the body, its Content-Type) and answers 200 with a
 * fixed body, so a test can check exactly what reached the upstream.
 */
public final class HttpsStandIn implements AutoCloseable {
  /** One request as the stand-in received it. */
  public record Received(String method, String path, String authorization, byte[] body, String contentType) {}

  private final HttpsServer server;
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final List<Integer> remotePorts = new CopyOnWriteArrayList<>();

  /** A stand-in presenting what {@code tls} holds (a certificate from a test CA). */
  public HttpsStandIn(SSLContext tls, byte[] answer) throws IOException {
    this(tls, answer, () -> { });
  }

  /** As above, running {@code beforeAnswer} once each request is received, before it is answered. */
  public HttpsStandIn(SSLContext tls, byte[] answer, Runnable beforeAnswer) throws IOException {
    server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    server.setHttpsConfigurator(new HttpsConfigurator(tls));
    server.createContext("/", exchange -> {
      byte[] body = exchange.getRequestBody().readAllBytes();
      remotePorts.add(exchange.getRemoteAddress().getPort());
      received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
          exchange.getRequestHeaders().getFirst("Authorization"), body, exchange.getRequestHeaders().getFirst("Content-Type")));
      beforeAnswer.run();
      exchange.sendResponseHeaders(200, answer.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(answer);
      }
    });
    server.setExecutor(threads);
    server.start();
  }

  /** A stand-in that answers {@code ok}. */
  public HttpsStandIn(SSLContext tls) throws IOException {
    this(tls, "ok".getBytes(StandardCharsets.UTF_8));
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** The client port of each request's TCP connection, in order: equal ports, one connection. */
  public List<Integer> remotePorts() {
    return List.copyOf(remotePorts);
  }

  public List<Received> received() {
    return List.copyOf(received);
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
