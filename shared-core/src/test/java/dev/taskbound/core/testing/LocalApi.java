package dev.taskbound.core.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** A stand-in API on 127.0.0.1 that answers every request with 200 and one fixed body. */
public final class LocalApi {
  private LocalApi() {}

  /** Started; the caller stops it ({@code stop(0)}). */
  public static HttpServer serving(String body) throws IOException {
    HttpServer api = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    api.createContext("/", exchange -> {
      exchange.sendResponseHeaders(200, bytes.length);
      exchange.getResponseBody().write(bytes);
      exchange.close();
    });
    api.start();
    return api;
  }
}
