module example.com/tijori-examples

go 1.19
