print("vzauth")
