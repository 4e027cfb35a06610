/// The console's and playground's pages (docs/console.md): plain HTML, CSS and JavaScript files in
/// `Assets/`, compiled into the binary by SwiftPM (`.embedInCode`), so the host serves them with
/// no build step and no files to install. Kept in their own target so editing a page recompiles
/// only this small module.
public enum ConsoleAssets {
    /// The file named `name` (e.g. "playground.js"), or nil when there is none.
    public static func file(_ name: String) -> [UInt8]? {
        switch name {
        case "console.html": PackageResources.console_html
        case "playground.html": PackageResources.playground_html
        case "console.css": PackageResources.console_css
        case "console.js": PackageResources.console_js
        case "playground.js": PackageResources.playground_js
        case "mic-worklet.js": PackageResources.mic_worklet_js
        case "player-worklet.js": PackageResources.player_worklet_js
        default: nil
        }
    }

    /// Every file's name (for tests and the route table).
    public static let names = ["console.html", "playground.html", "console.css", "console.js", "playground.js",
                               "mic-worklet.js", "player-worklet.js"]
}
