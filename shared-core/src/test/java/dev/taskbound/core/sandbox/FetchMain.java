package dev.taskbound.core.sandbox;

import java.net.ProxySelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Run inside a sandbox by tests: fetches a URL with the JDK HttpClient and the default proxy selector. */
public final class FetchMain {
  private FetchMain() {}

  public static void main(String[] args) throws Exception {
    HttpClient client = HttpClient.newBuilder().proxy(ProxySelector.getDefault()).connectTimeout(Duration.ofSeconds(10)).build();
    HttpResponse<String> response =
        client.send(HttpRequest.newBuilder(URI.create(args[0])).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    System.out.print(response.statusCode() + " " + response.body());
    System.exit(response.statusCode() == 200 ? 0 : 1);
  }
}
