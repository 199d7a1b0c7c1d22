/// orcastra-devidp: placeholder until the provider lands.
@main
enum DevIdP {
    static func main() {}
}
